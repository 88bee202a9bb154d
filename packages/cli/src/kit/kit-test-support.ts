/**
 * Helpers for the kit's end-to-end tests: make a project with
 * `coffer plugin new`, edit it, and certify it through the CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, type RunResult } from '../test-io.js';
import { kitNodeModules } from './locations.js';

/** Runs `coffer plugin new` into `<root>/<name>` and returns the project folder. */
export async function newProject(root: string, kind: string, name: string, language = 'ts'): Promise<string> {
  const output = join(root, name);
  const created = await runCli(['plugin', 'new', `-kind=${kind}`, `-lang=${language}`, `-output=${output}`, name]);
  assert.equal(created.code, 0, created.stderr);
  return output;
}

/** Replaces `search` in one project file, and fails when it is not there, so a template change cannot silently unbreak a test. */
export async function editFile(project: string, file: string, search: string | RegExp, replacement: string): Promise<void> {
  const path = join(project, file);
  const text = await readFile(path, 'utf8');
  const changed = text.replace(search, replacement);
  assert.notEqual(changed, text, `${file} does not contain ${String(search)}`);
  await writeFile(path, changed);
}

/**
 * Builds several projects with one `tsc -b`, which parses the shared
 * declaration files once and so costs less CPU than one build per project.
 */
export function buildProjects(projects: string[]): void {
  const tsc = join(kitNodeModules(), 'typescript', 'bin', 'tsc');
  const built = spawnSync(process.execPath, [tsc, '-b', ...projects], { encoding: 'utf8' });
  assert.equal(built.status, 0, `tsc -b failed:\n${built.stdout}${built.stderr}`);
}

/** Options of {@link certify}; both default to true. */
export interface CertifyFlags {
  build?: boolean;
  projectTests?: boolean;
}

/** Runs `coffer plugin certify` on a project into `<project>-bundle`. */
export function certify(project: string, kind: string, flags: CertifyFlags = {}): Promise<RunResult> {
  const args = [`-kind=${kind}`, `-output=${project}-bundle`];
  if (flags.build === false) args.push('-build=false');
  if (flags.projectTests === false) args.push('-project-tests=false');
  return runCli(['plugin', 'certify', ...args, project]);
}
