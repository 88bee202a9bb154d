import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer, startServerIn, type ApiResponse } from '../testing/api-client.js';
import { DEFAULT_EXEMPT_PATHS } from './quota-manager.js';

const ROOT = 'root-quota-path-test';
const BASE = 'sys/quotas/rate-limit';

/** Reads every stored quota entry below the barrier, decrypted, by storage key. */
async function storedQuotas(server: RunningServer): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  const barrier = server.core.barrier;
  for (const key of await barrier.list('sys/quotas/rate-limit/')) {
    entries.set(`rate-limit/${key}`, (await barrier.get(`sys/quotas/rate-limit/${key}`))?.value.toString('utf8') ?? '');
  }
  const config = await barrier.get('sys/quotas/config');
  if (config !== null) entries.set('config', config.value.toString('utf8'));
  return entries;
}

describe('sys/quotas/rate-limit', () => {
  let server: RunningServer;
  const call = (method: string, path: string, body?: unknown, token = ROOT): Promise<ApiResponse> => api(server, method, path, { token, body });

  /** Asserts that a write fails with 400 and exactly `message`, and that no stored quota or setting changed. */
  async function assertRejected(path: string, body: unknown, message: string): Promise<void> {
    const before = await storedQuotas(server);
    const response = await call('POST', path, body);
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.deepEqual(response.body, { errors: [message] });
    assert.deepEqual(await storedQuotas(server), before);
  }

  before(async () => {
    server = await startDevServer(ROOT);
    assert.equal((await call('POST', 'sys/auth/userpass', { type: 'userpass' })).status, 204);
  });
  after(() => server.close());

  test('empty list is 404', async () => {
    const listed = await call('LIST', BASE);
    assert.equal(listed.status, 404);
    assert.deepEqual(listed.body, { errors: [] });
  });

  test('write, read, list and delete', async () => {
    assert.equal((await call('POST', `${BASE}/kv-mount`, { path: 'secret/', rate: 50, interval: '1m', block_interval: '5m' })).status, 204);
    assert.equal((await call('PUT', `${BASE}/everything`, { rate: 1000.4 })).status, 204);
    assert.equal((await call('POST', `${BASE}/team1`, { path: 'secret/data/team1', rate: '10', interval: 30 })).status, 204);
    assert.equal((await call('POST', `${BASE}/team2.all`, { path: '/secret/data/team2/*', rate: 4 })).status, 204);
    assert.equal((await call('POST', `${BASE}/logins`, { path: 'auth/userpass', rate: 5 })).status, 204);

    const mount = await call('GET', `${BASE}/kv-mount`);
    assert.equal(mount.status, 200);
    assert.deepEqual(mount.body.data, {
      name: 'kv-mount',
      path: 'secret/',
      role: '',
      rate: 50,
      interval: 60,
      block_interval: 300,
      inheritable: false,
      type: 'rate-limit',
    });
    const global = await call('GET', `${BASE}/everything`);
    assert.deepEqual(global.body.data, { name: 'everything', path: '', role: '', rate: 1000.4, interval: 1, block_interval: 0, inheritable: true, type: 'rate-limit' });
    assert.equal((await call('GET', `${BASE}/team1`)).body.data.path, 'secret/data/team1');
    assert.equal((await call('GET', `${BASE}/team1`)).body.data.interval, 30);
    assert.equal((await call('GET', `${BASE}/team1`)).body.data.rate, 10);
    assert.equal((await call('GET', `${BASE}/team2.all`)).body.data.path, 'secret/data/team2/*');
    assert.equal((await call('GET', `${BASE}/logins`)).body.data.path, 'auth/userpass/');

    const names = ['everything', 'kv-mount', 'logins', 'team1', 'team2.all'];
    assert.deepEqual((await call('LIST', BASE)).body.data, { keys: names });
    assert.deepEqual((await call('GET', `${BASE}?list=true`)).body.data, { keys: names });

    // A write replaces the whole quota, as in Vault: fields left out take their defaults.
    assert.equal((await call('POST', `${BASE}/kv-mount`, { path: 'secret', rate: 5 })).status, 204);
    assert.deepEqual((await call('GET', `${BASE}/kv-mount`)).body.data, {
      name: 'kv-mount',
      path: 'secret/',
      role: '',
      rate: 5,
      interval: 1,
      block_interval: 0,
      inheritable: false,
      type: 'rate-limit',
    });

    for (const name of names) assert.equal((await call('DELETE', `${BASE}/${name}`)).status, 204);
    const deleted = await call('GET', `${BASE}/kv-mount`);
    assert.equal(deleted.status, 404);
    assert.deepEqual(deleted.body, { errors: [] });
    assert.equal((await call('DELETE', `${BASE}/kv-mount`)).status, 204, 'deleting a missing quota succeeds');
    assert.equal((await call('LIST', BASE)).status, 404);
    assert.deepEqual(await storedQuotas(server), new Map());
  });

  test('each invalid field rejected', async () => {
    assert.equal((await call('POST', `${BASE}/existing`, { path: 'secret/', rate: 100 })).status, 204);
    const cases: Array<[string, unknown, string]> = [
      ['fresh', { path: 'secret/' }, 'missing required field "rate": give the number of requests per interval, such as 100'],
      ['fresh', { rate: 0 }, 'invalid field "rate": must be positive, got 0'],
      ['fresh', { rate: -3 }, 'invalid field "rate": must be positive, got -3'],
      ['fresh', { rate: 'fast' }, 'invalid field "rate": expected a number, got "fast"'],
      ['fresh', { rate: '0x10' }, 'invalid field "rate": expected a number, got "0x10"'],
      ['fresh', { rate: '0b11' }, 'invalid field "rate": expected a number, got "0b11"'],
      ['fresh', { rate: 0.4 }, 'invalid field "rate": 0.4 rounds to 0 requests per interval; use at least 0.5, or a longer "interval"'],
      ['fresh', { rate: 5, interval: 'soon' }, 'invalid field "interval": expected a duration such as 30, "30s", "90m" or "1h", got "soon"'],
      ['fresh', { rate: 5, interval: -2 }, 'invalid field "interval": expected a duration such as 30, "30s", "90m" or "1h", got number -2'],
      ['fresh', { rate: 5, interval: '2562048h' }, 'invalid field "interval": 9223372800s is too long; the maximum is 9223372036s (about 292 years)'],
      ['fresh', { rate: 5, block_interval: 9223372037 }, 'invalid field "block_interval": 9223372037s is too long; the maximum is 9223372036s (about 292 years)'],
      ['fresh', { rate: 5, block_interval: '-1s' }, 'invalid field "block_interval": expected a duration such as 30, "30s", "90m" or "1h", got "-1s"'],
      [
        'fresh',
        { rate: 5, path: 'nope/' },
        'invalid mount path "nope/": no secrets engine or auth method is mounted there; set "path" to an enabled mount or a path inside one',
      ],
      ['fresh', { rate: 5, path: 'secret/da*ta' }, 'invalid field "path": "secret/da*ta" has a "*" before its end; a "*" may only end the path, to make it a prefix'],
      [
        'fresh',
        { rate: 5, path: 'auth/userpass/', role: 'web' },
        'invalid field "role": Coffer does not support role-based quotas; leave "role" empty and set "path" to the login path instead, such as "auth/approle/login"',
      ],
      [
        'fresh',
        { rate: 5, type: 'lease-count' },
        'invalid field "type": "lease-count" is not the type of this endpoint; the field is read-only and can only be "rate-limit"',
      ],
      [
        'fresh',
        { rate: 5, path: 'secret/data/x', inheritable: true },
        'invalid field "inheritable": only a global quota (empty "path") can be inheritable, because Coffer has no namespaces',
      ],
      ['fresh', { rate: 5, burst: 10 }, 'unknown field "burst"'],
      ['-fresh', { rate: 5 }, 'invalid quota name "-fresh": use letters, digits, "_", "-" and ".", starting and ending with a letter, digit or "_"'],
      [
        'fresh',
        { rate: 5, path: 'secret' },
        'quota rule with similar properties exists under the name "existing": it has the same path; update or delete that quota instead',
      ],
    ];
    for (const [name, body, message] of cases) await assertRejected(`${BASE}/${name}`, body, message);
    assert.equal((await call('GET', `${BASE}/fresh`)).status, 404);
    assert.equal((await call('DELETE', `${BASE}/existing`)).status, 204);
  });

  test('config defaults, partial writes and validation', async () => {
    const defaults = await call('GET', 'sys/quotas/config');
    assert.equal(defaults.status, 200);
    assert.deepEqual(defaults.body.data, {
      enable_rate_limit_audit_logging: false,
      enable_rate_limit_response_headers: false,
      rate_limit_exempt_paths: [...DEFAULT_EXEMPT_PATHS],
    });
    assert.deepEqual(DEFAULT_EXEMPT_PATHS, [
      'sys/generate-recovery-token/attempt',
      'sys/generate-recovery-token/update',
      'sys/generate-root/attempt',
      'sys/generate-root/update',
      'sys/health',
      'sys/seal-status',
      'sys/unseal',
    ]);

    // A field left out keeps its value.
    assert.equal((await call('POST', 'sys/quotas/config', { enable_rate_limit_response_headers: true })).status, 204);
    assert.deepEqual((await call('GET', 'sys/quotas/config')).body.data, {
      enable_rate_limit_audit_logging: false,
      enable_rate_limit_response_headers: true,
      rate_limit_exempt_paths: [...DEFAULT_EXEMPT_PATHS],
    });
    assert.equal((await call('PUT', 'sys/quotas/config', { rate_limit_exempt_paths: ['/v1/sys/health', 'secret/data/open/*'], enable_rate_limit_audit_logging: 'true' })).status, 204);
    assert.deepEqual((await call('GET', 'sys/quotas/config')).body.data, {
      enable_rate_limit_audit_logging: true,
      enable_rate_limit_response_headers: true,
      rate_limit_exempt_paths: ['sys/health', 'secret/data/open/*'],
    });

    await assertRejected('sys/quotas/config', { enable_rate_limit_audit_logging: 'maybe' }, 'invalid field "enable_rate_limit_audit_logging": expected a boolean, got "maybe"');
    await assertRejected('sys/quotas/config', { enable_rate_limit_response_headers: [] }, 'invalid field "enable_rate_limit_response_headers": expected a boolean, got an array');
    await assertRejected(
      'sys/quotas/config',
      { rate_limit_exempt_paths: 'sys/*/health' },
      'invalid field "rate_limit_exempt_paths": "sys/*/health" has a "*" before its end; a "*" may only end an entry, to make it a prefix',
    );
    await assertRejected('sys/quotas/config', { rate_limit_exempt_paths: { path: 'sys/health' } }, 'invalid field "rate_limit_exempt_paths": expected a list of strings or a comma-separated string, got an object');

    // An empty list exempts nothing.
    assert.equal((await call('POST', 'sys/quotas/config', { rate_limit_exempt_paths: [], enable_rate_limit_audit_logging: false, enable_rate_limit_response_headers: false })).status, 204);
    assert.deepEqual((await call('GET', 'sys/quotas/config')).body.data, {
      enable_rate_limit_audit_logging: false,
      enable_rate_limit_response_headers: false,
      rate_limit_exempt_paths: [],
    });
    assert.equal((await call('POST', 'sys/quotas/config', { rate_limit_exempt_paths: DEFAULT_EXEMPT_PATHS })).status, 204);
  });

  test('quotas follow their mount', async () => {
    assert.equal((await call('POST', 'sys/mounts/before', { type: 'kv' })).status, 204);
    assert.equal((await call('POST', `${BASE}/on-mount`, { path: 'before/', rate: 7 })).status, 204);
    assert.equal((await call('POST', `${BASE}/inside-mount`, { path: 'before/app/*', rate: 8 })).status, 204);

    assert.equal((await call('POST', 'sys/remount', { from: 'before', to: 'after' })).status, 200);
    assert.equal((await call('GET', `${BASE}/on-mount`)).body.data.path, 'after/');
    assert.equal((await call('GET', `${BASE}/inside-mount`)).body.data.path, 'after/app/*');
    const stored = JSON.parse((await storedQuotas(server)).get('rate-limit/inside-mount') ?? '{}');
    assert.equal(stored.mount_path, 'after/', 'the move is stored');

    // Disabling the mount deletes its quotas, as in Vault, so a later mount at that path starts without any.
    assert.equal((await call('DELETE', 'sys/mounts/after')).status, 204);
    assert.equal((await call('GET', `${BASE}/on-mount`)).status, 404);
    assert.equal((await call('GET', `${BASE}/inside-mount`)).status, 404);
    assert.equal((await storedQuotas(server)).has('rate-limit/on-mount'), false);
    assert.equal((await storedQuotas(server)).has('rate-limit/inside-mount'), false);
  });

  test('every path needs sudo', async () => {
    const withoutSudo = 'path "sys/quotas/*" { capabilities = ["create", "read", "update", "delete", "list"] }';
    const withSudo = 'path "sys/quotas/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }';
    assert.equal((await call('PUT', 'sys/policies/acl/quota-no-sudo', { policy: withoutSudo })).status, 204);
    assert.equal((await call('PUT', 'sys/policies/acl/quota-sudo', { policy: withSudo })).status, 204);
    const plain = (await call('POST', 'auth/token/create', { policies: ['quota-no-sudo'] })).body.auth.client_token as string;
    const admin = (await call('POST', 'auth/token/create', { policies: ['quota-sudo'] })).body.auth.client_token as string;

    const requests: Array<[string, string, unknown]> = [
      ['POST', `${BASE}/sudo-check`, { path: 'secret/', rate: 9 }],
      ['GET', `${BASE}/sudo-check`, undefined],
      ['LIST', BASE, undefined],
      ['GET', 'sys/quotas/config', undefined],
      ['POST', 'sys/quotas/config', { enable_rate_limit_audit_logging: false }],
      ['DELETE', `${BASE}/sudo-check`, undefined],
    ];
    const before = await storedQuotas(server);
    for (const [method, path, body] of requests) {
      const denied = await call(method, path, body, plain);
      assert.equal(denied.status, 403, `${method} ${path} without sudo`);
      assert.deepEqual(denied.body, { errors: ['permission denied'] });
    }
    assert.deepEqual(await storedQuotas(server), before);
    for (const [method, path, body] of requests) {
      const allowed = await call(method, path, body, admin);
      assert.ok(allowed.status === 200 || allowed.status === 204, `${method} ${path} with sudo: ${allowed.status}`);
    }
  });
});

describe('quota persistence', () => {
  let directory = '';
  after(async () => {
    if (directory !== '') await rm(directory, { recursive: true, force: true });
  });

  test('survives seal, unseal and restart', async () => {
    directory = await mkdtemp(join(tmpdir(), 'coffer-quotas-'));
    const storage = 'storage "sqlite" {\n  path = "$DIR/coffer.db"\n}';
    let server = await startServerIn(directory, storage);
    try {
      const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      const root: string = init.body.root_token;
      const key: string = init.body.keys[0];
      await api(server, 'PUT', 'sys/unseal', { body: { key } });
      assert.equal((await api(server, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } })).status, 204);
      assert.equal((await api(server, 'POST', `${BASE}/kv-writes`, { token: root, body: { path: 'kv/', rate: 2, interval: '1h' } })).status, 204);
      assert.equal((await api(server, 'POST', 'sys/quotas/config', { token: root, body: { enable_rate_limit_response_headers: true } })).status, 204);
      const written = {
        name: 'kv-writes',
        path: 'kv/',
        role: '',
        rate: 2,
        interval: 3600,
        block_interval: 0,
        inheritable: false,
        type: 'rate-limit',
      };
      assert.deepEqual((await api(server, 'GET', `${BASE}/kv-writes`, { token: root })).body.data, written);

      // Sealing drops the quotas from memory.
      assert.equal((await api(server, 'PUT', 'sys/seal', { token: root })).status, 204);
      assert.equal(server.core.quotas.active, false);
      assert.deepEqual(server.core.quotas.names(), []);
      assert.equal(server.core.quotas.settings.enableRateLimitResponseHeaders, false);

      await api(server, 'PUT', 'sys/unseal', { body: { key } });
      assert.deepEqual((await api(server, 'GET', `${BASE}/kv-writes`, { token: root })).body.data, written);
      assert.equal((await api(server, 'GET', 'sys/quotas/config', { token: root })).body.data.enable_rate_limit_response_headers, true);
      const limited = [];
      for (let index = 0; index < 3; index += 1) limited.push((await api(server, 'PUT', 'kv/item', { token: root, body: { n: index } })).status);
      assert.deepEqual(limited, [204, 204, 429], 'the quota applies again after unseal');

      await server.close();
      server = await startServerIn(directory, storage);
      await api(server, 'PUT', 'sys/unseal', { body: { key } });
      assert.deepEqual((await api(server, 'GET', `${BASE}/kv-writes`, { token: root })).body.data, written);
      assert.deepEqual((await api(server, 'LIST', BASE, { token: root })).body.data, { keys: ['kv-writes'] });
      assert.equal((await api(server, 'GET', 'sys/quotas/config', { token: root })).body.data.enable_rate_limit_response_headers, true);
      const afterRestart = [];
      for (let index = 0; index < 3; index += 1) afterRestart.push((await api(server, 'PUT', 'kv/item', { token: root, body: { n: index } })).status);
      assert.deepEqual(afterRestart, [204, 204, 429], 'the quota applies after a restart, with fresh counts');
    } finally {
      await server.close();
    }
  });
});
