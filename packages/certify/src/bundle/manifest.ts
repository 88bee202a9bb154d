/**
 * The review bundle's manifest: the SHA-256 of every file, so a reviewer
 * can prove that nothing changed between certification and review.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** File name of the manifest inside a bundle. */
export const MANIFEST_FILE = 'manifest.json';

/** Facts about the certified plugin, in summary.json and the manifest. */
export interface BundleSummary {
  name: string;
  kind: string;
  version: string;
  vendor: string;
  /** Published source address from integration.hcl, so a reviewer can certify the plugin again. */
  source_url: string;
  /**
   * Support terms from integration.hcl: the contact, and the hours and
   * business days within which the vendor responds to critical and other issues.
   */
  support: { contact: string; critical_response_hours: number; other_response_business_days: number };
  /** SHA-256 of the executable the catalog pinned (the launcher for an interpreted plugin). */
  sha256: string;
  /** SHA-256 of the plugin's entry file, which the launcher runs. */
  entry_sha256: string;
  /**
   * SHA-256 over the files the launcher can load (see `codeDigest`), or
   * `none` for a plugin without an entry in integration.hcl. Two runs
   * certified the same code when their code digests match.
   */
  code_sha256: string;
  sdk_version: string;
  /** Protocol the server spoke to the plugin, e.g. `go-plugin 1, backend 5`, or `in-process`. */
  protocol: string;
  coffer_version: string;
  started_at: string;
  finished_at: string;
  /** True when every required check passed. */
  passed: boolean;
}

/** manifest.json: the summary and each file's SHA-256 by path relative to the bundle. */
export interface Manifest {
  summary: BundleSummary;
  files: Record<string, string>;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

async function listFiles(root: string, dir: string = root): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, path)));
    else if (entry.isFile()) files.push(relative(root, path));
  }
  return files.sort();
}

/** Hashes every file of the bundle, except the manifest itself, and writes manifest.json. */
export async function writeManifest(bundle: string, summary: BundleSummary): Promise<Manifest> {
  const files: Record<string, string> = {};
  for (const file of await listFiles(bundle)) {
    if (file === MANIFEST_FILE) continue;
    files[file] = sha256Hex(await readFile(join(bundle, file)));
  }
  const manifest: Manifest = { summary, files };
  await writeFile(join(bundle, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Result of verifying a bundle against its manifest. */
export interface Verification {
  manifest: Manifest;
  /** One line per problem: a changed, missing or unlisted file. Empty when the bundle is intact. */
  problems: string[];
}

/**
 * Compares every file with its manifest hash.
 * @throws Error when manifest.json is missing or not JSON.
 */
export async function verifyBundle(bundle: string): Promise<Verification> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(bundle, MANIFEST_FILE), 'utf8')) as Manifest;
  } catch (error) {
    throw new Error(`cannot read ${join(bundle, MANIFEST_FILE)}: ${(error as Error).message}; is "${bundle}" a certification bundle?`);
  }
  const problems: string[] = [];
  const present = new Set((await listFiles(bundle)).filter((file) => file !== MANIFEST_FILE));
  for (const [file, expected] of Object.entries(manifest.files)) {
    if (!present.has(file)) {
      problems.push(`file "${file}" is missing`);
      continue;
    }
    const actual = sha256Hex(await readFile(join(bundle, file)));
    if (actual !== expected) problems.push(`file "${file}" changed: SHA-256 ${actual}, manifest has ${expected}`);
  }
  for (const file of present) if (!(file in manifest.files)) problems.push(`file "${file}" is not in the manifest`);
  return { manifest, problems };
}
