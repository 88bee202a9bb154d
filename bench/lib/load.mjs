/**
 * One load scenario: autocannon against a server child, with a warm-up run
 * whose figures are discarded, then a measured run. Latency percentiles come
 * from autocannon's per-response times in fractional milliseconds, because
 * its own histogram rounds to whole milliseconds.
 */
import autocannon from 'autocannon';
import { availableParallelism } from 'node:os';
import { percentiles } from './percentiles.mjs';
import { busyCpus, readSystemCpu } from './system-cpu.mjs';

/**
 * Runs the warm-up and the measured run of one scenario.
 *
 * @param {object} options
 * @param {string} options.url the server's base URL
 * @param {import('./children.mjs').Child} options.server the child under load, for its CPU time
 * @param {object[]} options.requests autocannon `requests`, e.g. with a `setupRequest` per request
 * @param {Record<string, string>} [options.headers] headers sent with every request
 * @param {number} options.connections
 * @param {number} options.warmupSeconds
 * @param {number} options.durationSeconds
 * @returns {Promise<object>} figures of the measured run, with `windowUs`: its start and end
 *   in microseconds of the monotonic clock that V8's CPU profiles use
 */
export async function measureLoad({ url, server, requests, headers = {}, connections, warmupSeconds, durationSeconds }) {
  const base = { url, connections, requests, headers };
  if (warmupSeconds > 0) await autocannon({ ...base, duration: warmupSeconds });

  const latencies = [];
  const statusCounts = {};
  const serverCpuBefore = await server.cpuUsage();
  const loadCpuBefore = process.cpuUsage();
  const systemCpuBefore = readSystemCpu();
  const startNs = process.hrtime.bigint();

  const run = autocannon({ ...base, duration: durationSeconds });
  run.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    latencies.push(responseTimeMs);
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
  });
  const result = await run;

  const endNs = process.hrtime.bigint();
  const loadCpu = process.cpuUsage(loadCpuBefore);
  const systemCpuAfter = readSystemCpu();
  const serverCpuAfter = await server.cpuUsage();

  const seconds = Number(endNs - startNs) / 1e9;
  const { p50, p99 } = percentiles(latencies);
  const serverCpuCores = (cpuSeconds(serverCpuAfter) - cpuSeconds(serverCpuBefore)) / seconds;
  const serverSystemCpuCores = (serverCpuAfter.system - serverCpuBefore.system) / 1e6 / seconds;
  const loadGeneratorCpuCores = cpuSeconds(loadCpu) / seconds;
  const mainThreadUs = serverCpuAfter.mainThreadUs === null || serverCpuBefore.mainThreadUs === null ? null : serverCpuAfter.mainThreadUs - serverCpuBefore.mainThreadUs;
  const machineCpuCores = busyCpus(systemCpuBefore, systemCpuAfter, availableParallelism());
  const figures = {
    responses: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: p50,
    p99Ms: p99,
    statusCounts,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    // CPU time per second of wall time: 1.0 is one core kept busy.
    serverCpuCores,
    // The part of serverCpuCores spent in the kernel, such as socket writes and fsync.
    serverSystemCpuCores,
    // CPU time of the server's main thread per response, which other load on the machine changes little.
    mainThreadUsPerRequest: mainThreadUs === null || latencies.length === 0 ? null : mainThreadUs / latencies.length,
    loadGeneratorCpuCores,
    // Includes kernel work charged to neither process, such as softirq handling of loopback traffic.
    otherCpuCores: machineCpuCores === null ? null : Math.max(0, machineCpuCores - serverCpuCores - loadGeneratorCpuCores),
    windowUs: [Number(startNs / 1000n), Number(endNs / 1000n)],
  };
  // Kept for mergeLoads, but left out of the JSON results.
  Object.defineProperty(figures, 'latencies', { value: latencies, enumerable: false });
  return figures;
}

/**
 * Combines the figures of several measured runs of one scenario into the
 * figures of a run as long as all of them together. Rates and CPU shares are
 * weighted by time, main-thread CPU by responses, and percentiles come from
 * all the latencies. `otherCpuCores` is the highest of the runs, so that one
 * disturbed run marks the whole as disturbed. `windowUs` is the last run's.
 *
 * @param {object[]} parts figures returned by measureLoad
 * @returns {object} figures in the form measureLoad returns
 */
export function mergeLoads(parts) {
  const latencies = parts.flatMap((part) => part.latencies);
  const seconds = sum(parts, (part) => part.seconds);
  const responses = sum(parts, (part) => part.responses);
  const byTime = (name) => sum(parts, (part) => part[name] * part.seconds) / seconds;

  const statusCounts = {};
  for (const part of parts) {
    for (const [status, count] of Object.entries(part.statusCounts)) statusCounts[status] = (statusCounts[status] ?? 0) + count;
  }
  const mainThreadKnown = parts.every((part) => part.mainThreadUsPerRequest !== null);
  const otherKnown = parts.every((part) => part.otherCpuCores !== null);
  const { p50, p99 } = percentiles(latencies);

  const figures = {
    responses,
    seconds,
    requestsPerSecond: responses / seconds,
    p50Ms: p50,
    p99Ms: p99,
    statusCounts,
    non2xx: sum(parts, (part) => part.non2xx),
    errors: sum(parts, (part) => part.errors),
    timeouts: sum(parts, (part) => part.timeouts),
    serverCpuCores: byTime('serverCpuCores'),
    serverSystemCpuCores: byTime('serverSystemCpuCores'),
    mainThreadUsPerRequest: mainThreadKnown && responses > 0 ? sum(parts, (part) => part.mainThreadUsPerRequest * part.responses) / responses : null,
    loadGeneratorCpuCores: byTime('loadGeneratorCpuCores'),
    otherCpuCores: otherKnown ? Math.max(...parts.map((part) => part.otherCpuCores)) : null,
    windowUs: parts.at(-1).windowUs,
    rounds: parts.length,
  };
  Object.defineProperty(figures, 'latencies', { value: latencies, enumerable: false });
  return figures;
}

function sum(items, value) {
  return items.reduce((total, item) => total + value(item), 0);
}

function cpuSeconds({ user, system }) {
  return (user + system) / 1e6;
}
