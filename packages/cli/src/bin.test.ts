import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const BIN = fileURLToPath(new URL('../bin/coffer.js', import.meta.url));

test('closed stdout ends quietly', async () => {
  // `coffer -help` prints the command list; the reader closes the pipe before the CLI writes.
  const child = spawn(process.execPath, [BIN, '-help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  assert.equal(stderr.includes('EPIPE'), false, stderr);
  assert.equal(code, 0);
});
