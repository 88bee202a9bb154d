import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { main } from '../index.js';
import { captureIO, makeTempDir, runCli } from '../test-io.js';

/** Waits until `read()` returns a match of `pattern`, for at most `timeoutMs`. */
async function waitFor(read: () => string, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(read());
    if (match !== null) return match;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output so far:\n${read()}`);
    await sleep(20);
  }
}

describe('server', () => {
  test('dev mode serves until aborted', async () => {
    const home = await makeTempDir('coffer-cli-server-home-');
    const stop = new AbortController();
    const env = { HOME: home.path };
    const { io, stdout, stderr } = captureIO({ env, signal: stop.signal });
    const running = main(
      ['server', '-dev', '-dev-root-token-id=dev-root', '-dev-listen-address=127.0.0.1:0', '-log-level=error'],
      io,
    );
    try {
      const banner = await waitFor(() => stdout.text, /\n {4}\$ export COFFER_ADDR='(http:\/\/127\.0\.0\.1:\d+)'\n/);
      const address = banner[1];
      assert.match(stdout.text, /^==> Coffer server configuration:\n/);
      assert.match(stdout.text, /\n {2}Storage: {8}inmem\n/);
      assert.ok(stdout.text.includes(`\n    $ export VAULT_ADDR='${address}'\n`), stdout.text);
      assert.match(stdout.text, /\nUnseal Key: [A-Za-z0-9+/]+=*\nRoot Token: dev-root\n/);
      assert.ok(stdout.text.includes('WARNING! dev mode is enabled!'), stdout.text);
      assert.equal(await readFile(join(home.path, '.coffer-token'), 'utf8'), 'dev-root');

      // The stored token authenticates the next command, as after `vault server -dev`.
      const put = await runCli(['kv', 'put', 'secret/from-dev', 'a=b'], { env: { ...env, VAULT_ADDR: address } });
      assert.equal(put.code, 0, put.stderr);
    } finally {
      stop.abort();
      assert.equal(await running, 0, stderr.text);
      await home.remove();
    }
    assert.match(stdout.text, /\n==> Coffer shutdown triggered by abort\n$/);
  });

  test('config file server names its storage', async () => {
    const home = await makeTempDir('coffer-cli-server-home-');
    const stop = new AbortController();
    const configPath = join(home.path, 'server.hcl');
    await writeFile(configPath, `storage "file" {\n  path = "${join(home.path, 'data')}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
    const { io, stdout, stderr } = captureIO({ env: { HOME: home.path }, signal: stop.signal });
    const running = main(['server', `-config=${configPath}`, '-log-level=error'], io);
    try {
      await waitFor(() => stdout.text, /==> Coffer server started!/);
      assert.match(stdout.text, /\n {2}Storage: {8}file\n/);
    } finally {
      stop.abort();
      assert.equal(await running, 0, stderr.text);
      await home.remove();
    }
  });

  test('without config or dev exits 1', async () => {
    const result = await runCli(['server'], { env: {} });
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: 'Must specify at least one config path using -config, or use -dev for a development server\n',
    });
  });

  test('bad log level exits 1', async () => {
    const home = await makeTempDir('coffer-cli-server-home-');
    try {
      const result = await runCli(['server', '-dev', '-dev-listen-address=127.0.0.1:0', '-log-level=loud'], { env: { HOME: home.path } });
      assert.equal(result.code, 1);
      assert.equal(result.stderr, 'Error starting the server: invalid log level "loud": use trace, debug, info, warn or error\n');
    } finally {
      await home.remove();
    }
  });

  test('missing config file exits 1', async () => {
    const home = await makeTempDir('coffer-cli-server-home-');
    try {
      const missing = join(home.path, 'absent.hcl');
      const result = await runCli(['server', `-config=${missing}`], { env: { HOME: home.path } });
      assert.equal(result.code, 1);
      assert.ok(result.stderr.startsWith('Error starting the server: '), result.stderr);
      assert.ok(result.stderr.includes(missing), result.stderr);
    } finally {
      await home.remove();
    }
  });
});
