import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const TOKEN = 'root-test-token';

describe('sys/mounts', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(TOKEN);
  });
  after(() => server.close());

  test('dev server mounts kv v2 at secret/', async () => {
    const response = await api(server, 'GET', 'sys/mounts', { token: TOKEN });
    assert.equal(response.status, 200);
    assert.equal(response.body.data['secret/'].type, 'kv');
    assert.deepEqual(response.body.data['secret/'].options, { version: '2' });
    assert.equal(response.body['secret/'].type, 'kv');
    assert.equal(response.body.data['sys/'].type, 'system');
  });

  test('enable, read, tune and disable a mount', async () => {
    const enabled = await api(server, 'POST', 'sys/mounts/kv1', {
      token: TOKEN,
      body: { type: 'kv', description: 'first', config: { default_lease_ttl: '1h' } },
    });
    assert.equal(enabled.status, 204);

    const read = await api(server, 'GET', 'sys/mounts/kv1', { token: TOKEN });
    assert.equal(read.body.data.description, 'first');
    assert.equal(read.body.data.config.default_lease_ttl, 3600);
    assert.match(read.body.data.accessor, /^kv_[0-9a-z]{8}$/);

    const tuned = await api(server, 'POST', 'sys/mounts/kv1/tune', { token: TOKEN, body: { max_lease_ttl: '2h', description: 'tuned' } });
    assert.equal(tuned.status, 204);
    const tune = await api(server, 'GET', 'sys/mounts/kv1/tune', { token: TOKEN });
    assert.equal(tune.body.data.max_lease_ttl, 7200);
    assert.equal(tune.body.data.default_lease_ttl, 3600);
    assert.equal(tune.body.data.description, 'tuned');

    await api(server, 'PUT', 'kv1/item', { token: TOKEN, body: { a: 'b' } });
    assert.equal((await api(server, 'DELETE', 'sys/mounts/kv1', { token: TOKEN })).status, 204);
    assert.equal((await api(server, 'GET', 'kv1/item', { token: TOKEN })).status, 404);

    // Re-enabling at the same path starts empty: the old data was deleted.
    await api(server, 'POST', 'sys/mounts/kv1', { token: TOKEN, body: { type: 'kv' } });
    assert.equal((await api(server, 'GET', 'kv1/item', { token: TOKEN })).status, 404);
  });

  test('enable rejects a taken path and changes nothing', async () => {
    const response = await api(server, 'POST', 'sys/mounts/secret', { token: TOKEN, body: { type: 'kv' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['path is already in use at secret/']);
    const nested = await api(server, 'POST', 'sys/mounts/secret/inner', { token: TOKEN, body: { type: 'kv' } });
    assert.equal(nested.status, 400);
  });

  test('enable rejects an unknown type and a reserved path', async () => {
    const unknown = await api(server, 'POST', 'sys/mounts/x', { token: TOKEN, body: { type: 'nope' } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.errors, ['plugin not found in the catalog: nope']);
    const reserved = await api(server, 'POST', 'sys/mounts/sys/x', { token: TOKEN, body: { type: 'kv' } });
    assert.equal(reserved.status, 400);
    const missingType = await api(server, 'POST', 'sys/mounts/y', { token: TOKEN, body: {} });
    assert.deepEqual(missingType.body.errors, ['missing required field "type"']);
    const listing = await api(server, 'GET', 'sys/mounts', { token: TOKEN });
    assert.equal(listing.body.data['x/'], undefined);
    assert.equal(listing.body.data['y/'], undefined);
  });

  test('enable rejects control characters', async () => {
    for (const [encoded, shown] of [['a%00b', 'a\\u0000b/'], ['a%09b', 'a\\tb/'], ['a%7Fb', 'a\u007fb/']]) {
      const secrets = await api(server, 'POST', `sys/mounts/${encoded}`, { token: TOKEN, body: { type: 'kv' } });
      assert.equal(secrets.status, 400, encoded);
      assert.deepEqual(secrets.body.errors, [`invalid mount path "${shown}": remove the control characters`], encoded);
      const auth = await api(server, 'POST', `sys/auth/${encoded}`, { token: TOKEN, body: { type: 'userpass' } });
      assert.equal(auth.status, 400, encoded);
    }
    const moved = await api(server, 'POST', 'sys/remount', { token: TOKEN, body: { from: 'secret', to: 'a\u0000b' } });
    assert.equal(moved.status, 400);
    assert.deepEqual(moved.body.errors, ['invalid mount path "a\\u0000b/": remove the control characters']);
    const listing = await api(server, 'GET', 'sys/mounts', { token: TOKEN });
    assert.deepEqual(Object.keys(listing.body.data).filter((path) => path.startsWith('a')), []);
  });

  test('kv-v1 and kv-v2 types name kv versions', async () => {
    for (const [alias, version] of [['kv-v1', '1'], ['kv-v2', '2']]) {
      const enabled = await api(server, 'POST', `sys/mounts/${alias}-alias`, { token: TOKEN, body: { type: alias, options: { version: '7' } } });
      assert.equal(enabled.status, 204, alias);
      const read = await api(server, 'GET', `sys/mounts/${alias}-alias`, { token: TOKEN });
      assert.equal(read.body.data.type, 'kv', alias);
      assert.deepEqual(read.body.data.options, { version }, alias);
    }
    const written = await api(server, 'PUT', 'kv-v2-alias/data/item', { token: TOKEN, body: { data: { a: 'b' } } });
    assert.equal(written.status, 200);
    assert.equal(written.body.data.version, 1);
  });

  test('version option only for kv', async () => {
    const response = await api(server, 'POST', 'sys/mounts/transit-versioned', { token: TOKEN, body: { type: 'transit', options: { version: '2' } } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['secrets engine "transit" does not allow setting a version']);
    const listing = await api(server, 'GET', 'sys/mounts', { token: TOKEN });
    assert.equal(listing.body.data['transit-versioned/'], undefined);
  });

  test('enable rejects a bad config value', async () => {
    const response = await api(server, 'POST', 'sys/mounts/z', { token: TOKEN, body: { type: 'kv', config: { default_lease_ttl: 'soon' } } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid "config.default_lease_ttl" "soon": expected a duration such as "768h"']);
  });

  test('remount moves a mount with its data', async () => {
    await api(server, 'POST', 'sys/mounts/moving', { token: TOKEN, body: { type: 'kv', options: { version: '2' } } });
    await api(server, 'PUT', 'moving/data/thing', { token: TOKEN, body: { data: { k: 'v' } } });
    const moved = await api(server, 'POST', 'sys/remount', { token: TOKEN, body: { from: 'moving', to: 'moved' } });
    assert.equal(moved.status, 200);
    const status = await api(server, 'GET', `sys/remount/status/${moved.body.data.migration_id}`, { token: TOKEN });
    assert.equal(status.body.data.migration_info.status, 'success');

    assert.equal((await api(server, 'GET', 'moving/data/thing', { token: TOKEN })).status, 404);
    const read = await api(server, 'GET', 'moved/data/thing', { token: TOKEN });
    assert.deepEqual(read.body.data.data, { k: 'v' });
  });

  test('remount moves an auth method', async () => {
    assert.equal((await api(server, 'POST', 'sys/auth/up-old', { token: TOKEN, body: { type: 'userpass' } })).status, 204);
    await api(server, 'POST', 'auth/up-old/users/dana', { token: TOKEN, body: { password: 'dana-pw' } });

    const moved = await api(server, 'POST', 'sys/remount', { token: TOKEN, body: { from: 'auth/up-old', to: 'auth/up-new' } });

    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const methods = await api(server, 'GET', 'sys/auth', { token: TOKEN });
    assert.equal(methods.body.data['up-old/'], undefined);
    assert.equal(methods.body.data['up-new/'].type, 'userpass');
    const login = await api(server, 'POST', 'auth/up-new/login/dana', { body: { password: 'dana-pw' } });
    assert.equal(login.status, 200);
  });

  test('remount between tables rejected', async () => {
    const before = await api(server, 'GET', 'sys/mounts', { token: TOKEN });

    const rejected = await api(server, 'POST', 'sys/remount', { token: TOKEN, body: { from: 'moved', to: 'auth/moved' } });

    assert.equal(rejected.status, 400);
    assert.deepEqual(rejected.body.errors, ['invalid "to" "auth/moved/": cannot move a secrets engine to an auth method path']);
    assert.deepEqual((await api(server, 'GET', 'sys/mounts', { token: TOKEN })).body.data, before.body.data);
  });

  test('internal ui mounts reports the kv version', async () => {
    const response = await api(server, 'GET', 'sys/internal/ui/mounts/secret/foo/bar', { token: TOKEN });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.path, 'secret/');
    assert.equal(response.body.data.type, 'kv');
    assert.deepEqual(response.body.data.options, { version: '2' });
  });

  test('internal ui mounts finds built-in mounts', async () => {
    const cases: [string, string, string][] = [
      ['cubbyhole/foo', 'cubbyhole/', 'cubbyhole'],
      ['cubbyhole', 'cubbyhole/', 'cubbyhole'],
      ['identity/entity/id', 'identity/', 'identity'],
      ['sys/policies/acl', 'sys/', 'system'],
      ['auth/token/lookup-self', 'auth/token/', 'token'],
    ];
    for (const [path, mountPath, type] of cases) {
      const response = await api(server, 'GET', `sys/internal/ui/mounts/${path}`, { token: TOKEN });
      assert.equal(response.status, 200, path);
      assert.equal(response.body.data.path, mountPath, path);
      assert.equal(response.body.data.type, type, path);
      assert.equal(response.body.data.options, null, path);
    }
    const unknown = await api(server, 'GET', 'sys/internal/ui/mounts/cubbyholes/x', { token: TOKEN });
    assert.equal(unknown.status, 403);
    assert.deepEqual(unknown.body.errors, ['permission denied']);
  });

  test('mount lookup needs access to the mount', async () => {
    const policy = 'path "secret/data/app/*" {\n  capabilities = ["read"]\n}\npath "secret/data/app/private" {\n  capabilities = ["deny"]\n}\n';
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/app-reader', { token: TOKEN, body: { policy } })).status, 204);
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/app-denied', { token: TOKEN, body: { policy: 'path "secret/*" {\n  capabilities = ["deny"]\n}\n' } })).status, 204);
    const reader = (await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { policies: ['app-reader'] } })).body.auth.client_token;
    const denied = (await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { policies: ['app-denied'] } })).body.auth.client_token;

    const own = await api(server, 'GET', 'sys/internal/ui/mounts/secret/app/config', { token: reader });
    assert.equal(own.status, 200);
    assert.equal(own.body.data.path, 'secret/');
    assert.deepEqual(own.body.data.options, { version: '2' });

    const other = await api(server, 'GET', 'sys/internal/ui/mounts/moved/x', { token: reader });
    assert.equal(other.status, 403);
    const unknown = await api(server, 'GET', 'sys/internal/ui/mounts/nowhere/x', { token: reader });
    assert.equal(unknown.status, 403);
    const deniedLookup = await api(server, 'GET', 'sys/internal/ui/mounts/secret/app/config', { token: denied });
    assert.equal(deniedLookup.status, 403);
    const otherPath = await api(server, 'GET', 'sys/mounts', { token: reader });
    assert.equal(otherPath.status, 403);
  });

  test('mounts survive seal and unseal', async () => {
    await api(server, 'POST', 'sys/mounts/durable', { token: TOKEN, body: { type: 'kv' } });
    await api(server, 'PUT', 'durable/item', { token: TOKEN, body: { value: 'kept' } });
    await api(server, 'PUT', 'sys/seal', { token: TOKEN });
    await api(server, 'PUT', 'sys/unseal', { body: { key: server.dev!.unsealKey } });
    const read = await api(server, 'GET', 'durable/item', { token: TOKEN });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data, { value: 'kept' });
  });
});
