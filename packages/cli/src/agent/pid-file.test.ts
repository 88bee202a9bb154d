// Tests of the agent's pid file with the built CLI as a child process. The
// agent runs only a proxy listener, so no server is needed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstat, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '../test-io.js';

const BIN = fileURLToPath(new URL('../../bin/coffer.js', import.meta.url));

test('pid file replaces a planted symlink', { timeout: 60_000 }, async () => {
  const folder = await makeTempDir('coffer-agent-pid-');
  try {
    const victim = join(folder.path, 'victim');
    await writeFile(victim, 'keep me\n');
    const pidFile = join(folder.path, 'agent.pid');
    await symlink(victim, pidFile);
    const configPath = join(folder.path, 'agent.hcl');
    await writeFile(
      configPath,
      `pid_file = "${pidFile}"\nvault {\n  address = "http://127.0.0.1:1"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`,
    );

    const child = spawn(process.execPath, [BIN, 'agent', `-config=${configPath}`], { env: { PATH: process.env.PATH, HOME: folder.path }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 40_000;
    while (!stdout.includes('Coffer agent started') && child.exitCode === null && Date.now() < deadline) await sleep(100);

    try {
      assert.match(stdout, /Coffer agent started/, stderr);
      assert.equal(await readFile(victim, 'utf8'), 'keep me\n');
      assert.equal((await lstat(pidFile)).isSymbolicLink(), false);
      assert.equal(await readFile(pidFile, 'utf8'), String(child.pid));
      assert.equal((await lstat(pidFile)).mode & 0o777, 0o644);
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    }
    await assert.rejects(lstat(pidFile), { code: 'ENOENT' });
    assert.equal(await readFile(victim, 'utf8'), 'keep me\n');
  } finally {
    await folder.remove();
  }
});
