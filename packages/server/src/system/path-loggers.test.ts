import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Logger as PinoLogger } from 'pino';
import { startServer, type RunningServer } from '../server.js';
import { api } from '../testing/api-client.js';

const ROOT = 'root-loggers-token';

describe('sys/loggers', () => {
  let server: RunningServer;
  const lines: string[] = [];
  before(async () => {
    server = await startServer({
      dev: true,
      devListenAddress: '127.0.0.1:0',
      devRootTokenId: ROOT,
      logLevel: 'info',
      logDestination: { write: (line: string) => lines.push(line) > 0 },
    });
  });
  after(() => server.close());

  const root = (): PinoLogger => server.core.logger as unknown as PinoLogger;
  const levels = async (): Promise<Record<string, string>> => (await api(server, 'GET', 'sys/loggers', { token: ROOT })).body.data;

  test('lists every logger at the configured level', async () => {
    const listed = await levels();

    assert.equal(listed.core, 'info');
    assert.equal(listed.token, 'info');
    assert.equal(listed.audit, 'info');
    assert.equal(listed['mount.secret'], 'info');
    assert.deepEqual(new Set(Object.values(listed)), new Set(['info']));
  });

  test('sets and resets one logger', async () => {
    const set = await api(server, 'POST', 'sys/loggers/token', { token: ROOT, body: { level: 'debug' } });
    assert.equal(set.status, 204);

    const one = await api(server, 'GET', 'sys/loggers/token', { token: ROOT });
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.data, { token: 'debug' });
    assert.equal((await levels()).core, 'info');

    const reset = await api(server, 'DELETE', 'sys/loggers/token', { token: ROOT });
    assert.equal(reset.status, 204);
    assert.deepEqual((await api(server, 'GET', 'sys/loggers/token', { token: ROOT })).body.data, { token: 'info' });
  });

  test('a level change reaches the log output', async () => {
    assert.equal((await api(server, 'POST', 'sys/loggers/core', { token: ROOT, body: { level: 'error' } })).status, 204);
    const before = lines.length;
    root().warn({}, 'loggers test: suppressed warning');
    assert.equal(lines.length, before, 'a warning below the new level is not written');

    assert.equal((await api(server, 'POST', 'sys/loggers/core', { token: ROOT, body: { level: 'trace' } })).status, 204);
    root().trace({}, 'loggers test: trace line');
    assert.match(lines.at(-1) ?? '', /"level":"trace".*"msg":"loggers test: trace line"/);

    assert.equal((await api(server, 'DELETE', 'sys/loggers/core', { token: ROOT })).status, 204);
    assert.equal(root().level, 'info');
  });

  test('sets and resets every logger', async () => {
    assert.equal((await api(server, 'POST', 'sys/loggers', { token: ROOT, body: { level: 'warn' } })).status, 204);
    const listed = await levels();
    assert.deepEqual(new Set(Object.values(listed)), new Set(['warn']));
    assert.equal(root().level, 'warn');

    // Resetting one logger returns it to the configured level, not to the level of the others.
    assert.equal((await api(server, 'DELETE', 'sys/loggers/token', { token: ROOT })).status, 204);
    const afterOne = await levels();
    assert.equal(afterOne.token, 'info');
    assert.equal(afterOne.core, 'warn');

    assert.equal((await api(server, 'DELETE', 'sys/loggers', { token: ROOT })).status, 204);
    assert.deepEqual(new Set(Object.values(await levels())), new Set(['info']));
  });

  test('a logger made after a change gets the new level', async () => {
    assert.equal((await api(server, 'POST', 'sys/loggers', { token: ROOT, body: { level: 'error' } })).status, 204);
    try {
      const mounted = await api(server, 'POST', 'sys/mounts/later', { token: ROOT, body: { type: 'kv' } });
      assert.equal(mounted.status, 204);
      assert.equal((await levels())['mount.later'], 'error');
    } finally {
      await api(server, 'DELETE', 'sys/loggers', { token: ROOT });
      await api(server, 'DELETE', 'sys/mounts/later', { token: ROOT });
    }
  });

  test('bad input names the problem and changes nothing', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', 'sys/loggers', { level: 'verbose' }, 'field "level" must be one of trace, debug, info, warn, error, not "verbose"'],
      ['POST', 'sys/loggers', {}, 'field "level" is required'],
      ['POST', 'sys/loggers/token', {}, 'field "level" is required'],
      ['POST', 'sys/loggers/no-such-logger', { level: 'debug' }, 'logger "no-such-logger" not found; GET sys/loggers lists the loggers'],
      ['GET', 'sys/loggers/no-such-logger', undefined, 'logger "no-such-logger" not found; GET sys/loggers lists the loggers'],
    ];
    for (const [method, path, body, message] of cases) {
      const response = await api(server, method, path, { token: ROOT, ...(body !== undefined ? { body } : {}) });
      assert.equal(response.status, 400, `${method} ${path}`);
      assert.deepEqual(response.body, { errors: [message] }, `${method} ${path}`);
    }
    assert.deepEqual(new Set(Object.values(await levels())), new Set(['info']));
  });

  test('a token without a policy for it is denied', async () => {
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } });
    const token = created.body.auth.client_token as string;

    const response = await api(server, 'POST', 'sys/loggers', { token, body: { level: 'trace' } });
    assert.equal(response.status, 403);
    assert.equal(root().level, 'info');
  });
});
