import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Logger as PinoLogger } from 'pino';
import { captureIO, runCli } from '../test-io.js';
import { main } from '../index.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

describe('monitor', () => {
  let server: TestServer;
  before(async () => {
    server = await startDevServer();
  });
  after(() => server.close());

  /** Waits until `check` holds, polling every 20 ms for at most 10 seconds. */
  async function eventually(what: string, check: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  test('streams log lines until aborted', async () => {
    const abort = new AbortController();
    const { io, stdout } = captureIO({ env: server.env, signal: abort.signal });
    const running = main(['monitor', '-log-level=error'], io);
    const monitor = server.server.core.options.logMonitor!;
    await eventually('the stream is attached', () => monitor.size === 1);

    // The dev server logs at error, so only error lines are written at all.
    (server.server.core.logger as unknown as PinoLogger).child({ component: 'expiration' }).error({ lease: 'x/1' }, 'monitor cli test line');
    await eventually('the line arrives', () => stdout.text.includes('monitor cli test line'));
    abort.abort();

    assert.equal(await running, 0);
    assert.match(stdout.text, /^\S+ \[ERROR\] expiration: monitor cli test line: lease=x\/1$/m);
    await eventually('the stream is detached', () => monitor.size === 0);
  });

  test('bad flags exit 1 without a request', async () => {
    const level = await runCli(['monitor', '-log-level=loud'], { env: server.env });
    assert.equal(level.code, 1);
    assert.match(level.stderr, /invalid -log-level "loud": use trace, debug, info, warn, error/);

    const format = await runCli(['monitor', '-log-format=xml'], { env: server.env });
    assert.equal(format.code, 1);
    assert.match(format.stderr, /invalid -log-format "xml": use standard or json/);
  });

  test('a denied token exits 2 with the server error', async () => {
    const created = await runCli(['token', 'create', '-policy=default', '-field=token'], { env: server.env });
    const denied = await runCli(['monitor'], { env: { ...server.env, COFFER_TOKEN: created.stdout.trim() } });

    assert.equal(denied.code, 2);
    assert.match(denied.stderr, /Code: 403/);
    assert.match(denied.stderr, /permission denied/);
  });
});
