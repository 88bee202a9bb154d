import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../server.js';
import { api, startServerIn } from '../testing/api-client.js';

const ROOT = 'root-rotate-config-token';
const DEFAULTS = { max_operations: 3865470566, interval: 0, enabled: true };
const DAY_MS = 24 * 3600 * 1000;

/** Returns a clock that the test moves by hand, starting at a fixed instant. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let current = Date.parse('2026-01-01T00:00:00.000Z');
  return { now: () => current, advance: (ms) => (current += ms) };
}

describe('sys/rotate/config', () => {
  let server: RunningServer;
  const clock = manualClock();
  before(async () => {
    server = await startServer({ dev: true, devListenAddress: '127.0.0.1:0', devRootTokenId: ROOT, logDestination: { write: () => true }, clock: clock.now });
  });
  after(() => server.close());

  const readConfig = async (): Promise<unknown> => (await api(server, 'GET', 'sys/rotate/config', { token: ROOT })).body.data;
  const keyStatus = async (): Promise<{ term: number; install_time: string; encryptions: number }> =>
    (await api(server, 'GET', 'sys/key-status', { token: ROOT })).body.data;
  const restoreDefaults = async (): Promise<void> => {
    await server.core.barrier.setRotationConfig({ maxOperations: DEFAULTS.max_operations, intervalSeconds: 0, enabled: true });
  };

  test('reads Vault defaults', async () => {
    const response = await api(server, 'GET', 'sys/rotate/config', { token: ROOT });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, DEFAULTS);
  });

  test('sets each field and reads it back', async () => {
    try {
      const set = await api(server, 'POST', 'sys/rotate/config', { token: ROOT, body: { max_operations: 2000000000, interval: '4320h' } });
      assert.equal(set.status, 204);
      assert.deepEqual(await readConfig(), { max_operations: 2000000000, interval: '4320h0m0s', enabled: true });

      assert.equal((await api(server, 'POST', 'sys/rotate/config', { token: ROOT, body: { enabled: false, interval: 86400 } })).status, 204);
      assert.deepEqual(await readConfig(), { max_operations: 2000000000, interval: '24h0m0s', enabled: false });

      assert.equal((await api(server, 'POST', 'sys/rotate/config', { token: ROOT, body: { interval: 0, enabled: 'true' } })).status, 204);
      assert.deepEqual(await readConfig(), { max_operations: 2000000000, interval: 0, enabled: true });
    } finally {
      await restoreDefaults();
    }
  });

  test('bad input names the field and changes nothing', async () => {
    assert.equal((await api(server, 'POST', 'sys/rotate/config', { token: ROOT, body: { max_operations: 5000000 } })).status, 204);
    const before = await readConfig();
    const cases: Array<[unknown, string]> = [
      [{ max_operations: 999999 }, 'invalid field "max_operations": must be from 1000000 to 3865470566, not 999999'],
      [{ max_operations: 3865470567 }, 'invalid field "max_operations": must be from 1000000 to 3865470566, not 3865470567'],
      [{ max_operations: 'many' }, 'invalid field "max_operations": expected an integer, got "many"'],
      [{ interval: '23h59m59s' }, 'invalid field "interval": must be 0 or at least 24h, not "23h59m59s"'],
      [{ interval: 3600 }, 'invalid field "interval": must be 0 or at least 24h, not "3600"'],
      [{ interval: '2562048h' }, 'invalid field "interval": must be at most 2562047h, the longest Go duration, not "2562048h"'],
      [{ interval: 1e300 }, 'invalid field "interval": must be at most 2562047h, the longest Go duration, not "1e+300"'],
      [{ interval: 'soon' }, 'invalid field "interval": expected a duration such as 30, "30s", "90m" or "1h", got "soon"'],
      [{ enabled: 'maybe' }, 'invalid field "enabled": expected a boolean, got "maybe"'],
      [{ interval: '48h', max_operations: 10 }, 'invalid field "max_operations": must be from 1000000 to 3865470566, not 10'],
    ];
    try {
      for (const [body, message] of cases) {
        const response = await api(server, 'POST', 'sys/rotate/config', { token: ROOT, body });
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.deepEqual(response.body, { errors: [message] }, JSON.stringify(body));
      }
      assert.deepEqual(await readConfig(), before);
    } finally {
      await restoreDefaults();
    }
  });

  test('needs a policy for the path but not sudo', async () => {
    const plain = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } });
    const plainToken = plain.body.auth.client_token as string;
    assert.equal((await api(server, 'GET', 'sys/rotate/config', { token: plainToken })).status, 403);
    const denied = await api(server, 'POST', 'sys/rotate/config', { token: plainToken, body: { max_operations: 2000000 } });
    assert.equal(denied.status, 403);
    assert.deepEqual(await readConfig(), DEFAULTS);

    // As in Vault, sys/rotate/config is not among the sudo paths; sys/rotate is.
    const policy = 'path "sys/rotate/config" { capabilities = ["read", "update"] }\npath "sys/rotate" { capabilities = ["update"] }';
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/rotate-config', { token: ROOT, body: { policy } })).status, 204);
    const operator = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['rotate-config'] } });
    const operatorToken = operator.body.auth.client_token as string;
    try {
      assert.deepEqual((await api(server, 'GET', 'sys/rotate/config', { token: operatorToken })).body.data, DEFAULTS);
      assert.equal((await api(server, 'POST', 'sys/rotate/config', { token: operatorToken, body: { max_operations: 2000000 } })).status, 204);
      assert.equal((await readConfig() as { max_operations: number }).max_operations, 2000000);
      assert.equal((await api(server, 'POST', 'sys/rotate', { token: operatorToken })).status, 403, 'sys/rotate still needs sudo');
    } finally {
      await restoreDefaults();
    }
  });

  test('rotates after max_operations encryptions', async () => {
    const start = await keyStatus();
    // Vault's minimum of 1,000,000 is too many for a test, so set the config through the barrier, which checks no limits.
    await server.core.barrier.setRotationConfig({ maxOperations: start.encryptions + 5, intervalSeconds: 0, enabled: true });
    try {
      for (let index = 0; index < 4; index += 1) {
        await server.core.barrier.put({ key: `test/rotate-count/${index}`, value: Buffer.from('x') });
      }
      const before = await keyStatus();
      assert.equal(before.term, start.term);
      assert.equal(before.encryptions, start.encryptions + 4);

      await server.core.barrier.put({ key: 'test/rotate-count/4', value: Buffer.from('x') });
      const rotated = await keyStatus();
      assert.equal(rotated.term, start.term + 1);
      assert.equal(rotated.install_time, new Date(clock.now()).toISOString());

      // Every entry stays readable after the rotation.
      for (let index = 0; index < 5; index += 1) {
        assert.equal((await server.core.barrier.get(`test/rotate-count/${index}`))?.value.toString(), 'x');
      }
    } finally {
      await restoreDefaults();
    }
  });

  test('disabled rotation only counts', async () => {
    const start = await keyStatus();
    await server.core.barrier.setRotationConfig({ maxOperations: start.encryptions + 2, intervalSeconds: 0, enabled: false });
    try {
      for (let index = 0; index < 4; index += 1) {
        await server.core.barrier.put({ key: `test/rotate-disabled/${index}`, value: Buffer.from('x') });
      }
      const after = await keyStatus();
      assert.equal(after.term, start.term);
      assert.equal(after.encryptions, start.encryptions + 4);
    } finally {
      await restoreDefaults();
    }
  });

  test('rotates once the interval has passed', async () => {
    assert.equal((await api(server, 'POST', 'sys/rotate/config', { token: ROOT, body: { interval: '24h' } })).status, 204);
    try {
      const start = await keyStatus();
      const installed = Date.parse(start.install_time);
      clock.advance(installed + DAY_MS - 1000 - clock.now());
      await server.core.barrier.put({ key: 'test/rotate-interval/early', value: Buffer.from('x') });
      assert.equal((await keyStatus()).term, start.term, 'one second before the interval');

      clock.advance(1000);
      await server.core.barrier.put({ key: 'test/rotate-interval/due', value: Buffer.from('x') });
      const rotated = await keyStatus();
      assert.equal(rotated.term, start.term + 1);
      assert.equal(rotated.install_time, new Date(clock.now()).toISOString());

      // With no writes, the periodic check rotates the key.
      clock.advance(DAY_MS);
      await server.core.barrier.checkAutoRotation();
      assert.equal((await keyStatus()).term, start.term + 2);
    } finally {
      await restoreDefaults();
    }
  });

  test('count resumes from the reservation after a crash', async () => {
    assert.equal((await api(server, 'POST', 'sys/rotate/config', { token: ROOT, body: { max_operations: 2000000 } })).status, 204);
    try {
      await server.core.barrier.put({ key: 'test/rotate-crash/0', value: Buffer.from('x') });
      const counted = (await keyStatus()).encryptions;

      // Stop without storing the exact count, as a crashed or deposed node does, then seal and unseal.
      await server.core.barrier.stopAutoRotation({ storeCount: false });
      assert.equal((await api(server, 'PUT', 'sys/seal', { token: ROOT })).status, 204);
      const unsealed = await api(server, 'PUT', 'sys/unseal', { body: { key: server.dev!.unsealKey } });
      assert.equal(unsealed.body.sealed, false);

      // Each keyring write reserves max_operations / 1000 = 2000 encryptions ahead.
      const resumed = (await keyStatus()).encryptions;
      assert.ok(resumed >= counted, `resumed ${resumed} is not below the ${counted} counted`);
      assert.ok(resumed <= counted + 2000 + 50, `resumed ${resumed} is at most one reservation above ${counted}`);
    } finally {
      await restoreDefaults();
    }
  });
});

describe('sys/rotate/config across restarts', () => {
  let directory = '';
  after(async () => {
    if (directory !== '') await rm(directory, { recursive: true, force: true });
  });

  test('count includes the writes of init', async () => {
    directory = await mkdtemp(join(tmpdir(), 'coffer-rotate-config-'));
    const server = await startServerIn(directory, 'storage "sqlite" {\n  path = "$DIR/coffer.db"\n}');
    // Counts what the barrier encrypts, init's root token and mount tables included.
    const barrier = server.core.barrier;
    const put = barrier.put.bind(barrier);
    let encrypted = 0;
    barrier.put = async (entry) => {
      encrypted += 1;
      await put(entry);
    };
    try {
      const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      assert.equal(init.status, 200);
      assert.ok(encrypted > 0, 'init encrypts entries');
      await api(server, 'PUT', 'sys/unseal', { body: { key: init.body.keys[0] } });

      const status = await api(server, 'GET', 'sys/key-status', { token: init.body.root_token });
      assert.equal(status.body.data.term, 1);
      assert.equal(status.body.data.encryptions, encrypted);
    } finally {
      await server.close();
      await rm(directory, { recursive: true, force: true });
      directory = '';
    }
  });

  test('config and count survive a restart', async () => {
    directory = await mkdtemp(join(tmpdir(), 'coffer-rotate-config-'));
    const storage = 'storage "sqlite" {\n  path = "$DIR/coffer.db"\n}';
    let server = await startServerIn(directory, storage);
    try {
      const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      const root: string = init.body.root_token;
      const key: string = init.body.keys[0];
      await api(server, 'PUT', 'sys/unseal', { body: { key } });
      const body = { max_operations: 5000000, interval: '720h', enabled: false };
      assert.equal((await api(server, 'POST', 'sys/rotate/config', { token: root, body })).status, 204);
      assert.equal((await api(server, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } })).status, 204);
      for (let index = 0; index < 20; index += 1) {
        assert.equal((await api(server, 'PUT', `kv/item-${index}`, { token: root, body: { n: index } })).status, 204);
      }
      const before = (await api(server, 'GET', 'sys/key-status', { token: root })).body.data;
      assert.ok(before.encryptions >= 20);

      await server.close();
      server = await startServerIn(directory, storage);
      await api(server, 'PUT', 'sys/unseal', { body: { key } });
      assert.deepEqual((await api(server, 'GET', 'sys/rotate/config', { token: root })).body.data, {
        max_operations: 5000000,
        interval: '720h0m0s',
        enabled: false,
      });
      const after = (await api(server, 'GET', 'sys/key-status', { token: root })).body.data;
      assert.equal(after.term, before.term);
      // A clean stop stores the exact count; the unseal itself writes a few entries more.
      assert.ok(after.encryptions >= before.encryptions, `${after.encryptions} >= ${before.encryptions}`);
      assert.ok(after.encryptions <= before.encryptions + 50, `${after.encryptions} <= ${before.encryptions} + 50`);
    } finally {
      await server.close();
    }
  });
});
