/**
 * Helpers for the kit's end-to-end tests: make a project with
 * `coffer plugin new`, edit it, and certify it through the CLI.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, type RunResult } from '../test-io.js';

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

/** Runs `coffer plugin certify` on a project into `<project>-bundle`. */
export function certify(project: string, kind: string, projectTests = true): Promise<RunResult> {
  const flags = [`-kind=${kind}`, `-output=${project}-bundle`];
  if (!projectTests) flags.push('-project-tests=false');
  return runCli(['plugin', 'certify', ...flags, project]);
}
