/**
 * Summaries of a V8 CPU profile (`node --cpu-prof`): the functions and files
 * with the most self time, and the functions with the most total time,
 * optionally limited to a time window such as one scenario's measured run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Summarizes the samples of `profilePath` taken within `windowUs`.
 *
 * @param {string} profilePath a `.cpuprofile` file
 * @param {{ windowUs?: [number, number], top?: number }} [options] window in
 *   microseconds of the monotonic clock (the clock of `process.hrtime`)
 * @returns {{ samples: number, busySamples: number, selfByFunction: object[], selfByFile: object[], totalByFunction: object[] }}
 *   shares are fractions of the busy samples, that is all samples but `(idle)`
 */
export function summarizeProfile(profilePath, { windowUs, top = 20 } = {}) {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

  const self = new Map();
  const selfFiles = new Map();
  const total = new Map();
  let samples = 0;
  let busySamples = 0;
  let time = profile.startTime;

  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i];
    if (windowUs !== undefined && (time < windowUs[0] || time > windowUs[1])) continue;
    samples++;
    const leaf = nodes.get(profile.samples[i]);
    if (leaf.callFrame.functionName === '(idle)') continue;
    busySamples++;

    const leafFrame = describeFrame(leaf.callFrame);
    increment(self, leafFrame.key, leafFrame);
    increment(selfFiles, leafFrame.file, { file: leafFrame.file });

    // Count each function once per sample, even when it recurses.
    const seen = new Set();
    for (let id = leaf.id; id !== undefined; id = parents.get(id)) {
      const frame = describeFrame(nodes.get(id).callFrame);
      if (frame.functionName === '(root)' || seen.has(frame.key)) continue;
      seen.add(frame.key);
      increment(total, frame.key, frame);
    }
  }

  const ranked = (map) =>
    [...map.values()]
      .sort((a, b) => b.count - a.count)
      .slice(0, top)
      .map(({ key, count, ...rest }) => ({ ...rest, share: busySamples === 0 ? 0 : count / busySamples }));
  return { samples, busySamples, selfByFunction: ranked(self), selfByFile: ranked(selfFiles), totalByFunction: ranked(total) };
}

/** Formats a summary as text lines for the console. */
export function formatProfileSummary(summary, title) {
  const percent = (share) => `${(share * 100).toFixed(1).padStart(5)}%`;
  const lines = [`${title}: ${summary.busySamples} busy of ${summary.samples} samples`];
  lines.push('  self time by function:');
  for (const row of summary.selfByFunction) lines.push(`  ${percent(row.share)}  ${row.functionName}  ${row.location}`);
  lines.push('  self time by file:');
  for (const row of summary.selfByFile) lines.push(`  ${percent(row.share)}  ${row.file}`);
  lines.push('  total time (self and callees) by function:');
  for (const row of summary.totalByFunction) lines.push(`  ${percent(row.share)}  ${row.functionName}  ${row.location}`);
  return lines.join('\n');
}

function describeFrame({ functionName, url, lineNumber, columnNumber }) {
  const name = functionName === '' ? '(anonymous)' : functionName;
  const file = shortenUrl(url);
  // V8 numbers lines and columns from 0.
  const location = file === '' ? '' : `${file}:${lineNumber + 1}:${columnNumber + 1}`;
  return { key: `${name} ${location}`, functionName: name, file: file === '' ? `(${name})` : file, location };
}

function shortenUrl(url) {
  if (!url.startsWith('file://')) return url;
  const path = relative(repositoryRoot, fileURLToPath(url));
  return path.startsWith('..') ? fileURLToPath(url) : path;
}

function increment(map, key, value) {
  const entry = map.get(key);
  if (entry === undefined) map.set(key, { ...value, key, count: 1 });
  else entry.count++;
}
