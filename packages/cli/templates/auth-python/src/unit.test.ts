/**
 * Runs the Python unit tests (test_*.py beside plugin.py) with the protocol
 * modules on PYTHONPATH, so `npm test` and `coffer plugin certify` run them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { generateStubs, PYTHON } from './python-stubs.js';

const PROJECT = fileURLToPath(new URL('..', import.meta.url));

test('python unit tests pass', async () => {
  const stubs = await mkdtemp(join(tmpdir(), '__NAME__-stubs-'));
  try {
    generateStubs(stubs);
    const run = spawnSync(PYTHON, ['-m', 'unittest', 'discover', '-v', '-s', PROJECT, '-p', 'test_*.py'], {
      cwd: PROJECT,
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: stubs, PYTHONDONTWRITEBYTECODE: '1' },
    });
    // unittest writes its report to stderr, which the assertion shows on failure and the log keeps on success.
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /^OK$/m);
    console.log(run.stderr.trimEnd());
  } finally {
    await rm(stubs, { recursive: true, force: true });
  }
});
