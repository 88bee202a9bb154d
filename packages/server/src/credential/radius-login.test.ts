import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freeradiusSkipReason, startTestRadiusServer, TEST_SECRET, TEST_USERS, type TestRadiusServer } from '@coffer/auth-radius/testing';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';

const WEB_POLICY = `
path "secret/data/web/*" {
  capabilities = ["read"]
}
`;

describe('radius login over HTTP', { skip: freeradiusSkipReason() ?? false, timeout: 120_000 }, () => {
  let radius: TestRadiusServer;
  let server: RunningServer;

  before(async () => {
    radius = await startTestRadiusServer();
    server = await startDevServer(ROOT);
    const setup: Array<[string, string, unknown]> = [
      ['POST', 'sys/auth/radius', { type: 'radius' }],
      ['PUT', 'sys/policies/acl/web-read', { policy: WEB_POLICY }],
      ['POST', 'auth/radius/config', { host: radius.host, port: radius.port, secret: TEST_SECRET, read_timeout: '5s', token_ttl: '20m', token_max_ttl: '1h' }],
      ['POST', 'auth/radius/users/alice', { policies: 'web-read' }],
    ];
    for (const [method, path, body] of setup) {
      const response = await api(server, method, path, { token: ROOT, body });
      assert.equal(response.status, 204, `${method} ${path}: ${JSON.stringify(response.body)}`);
    }
    await api(server, 'POST', 'secret/data/web/key', { token: ROOT, body: { data: { key: 'web-key' } } });
    await api(server, 'POST', 'secret/data/db/key', { token: ROOT, body: { data: { key: 'db-key' } } });
  });

  after(async () => {
    await server?.close();
    await radius?.stop();
  });

  test('login returns a token that reads its secrets', async () => {
    const response = await api(server, 'POST', 'auth/radius/login/alice', { body: { password: TEST_USERS.alice } });

    assert.equal(response.status, 200, JSON.stringify(response.body));
    const auth = response.body.auth;
    assert.deepEqual(auth.policies, ['default', 'web-read']);
    assert.deepEqual(auth.token_policies, ['default', 'web-read']);
    assert.equal(auth.lease_duration, 1200);
    assert.equal(auth.renewable, true);
    assert.deepEqual(auth.metadata, { username: 'alice', policies: 'web-read' });
    assert.equal(JSON.stringify(response.body).includes(TEST_USERS.alice), false);
    const token = auth.client_token as string;

    const granted = await api(server, 'GET', 'secret/data/web/key', { token });
    const denied = await api(server, 'GET', 'secret/data/db/key', { token });
    assert.equal(granted.status, 200);
    assert.deepEqual(granted.body.data.data, { key: 'web-key' });
    assert.equal(denied.status, 403);

    const alias = await api(server, 'GET', `identity/entity/id/${auth.entity_id}`, { token: ROOT });
    assert.equal(alias.status, 200);
    assert.deepEqual(alias.body.data.aliases.map((item: { name: string }) => item.name), ['alice']);
  });

  test('config read leaves out the secret', async () => {
    const response = await api(server, 'GET', 'auth/radius/config', { token: ROOT });

    assert.equal(response.status, 200);
    assert.equal(response.body.data.host, radius.host);
    assert.equal(response.body.data.port, radius.port);
    assert.equal('secret' in response.body.data, false);
    assert.equal(JSON.stringify(response.body).includes(TEST_SECRET), false);
  });

  test('renewal asks the server again', async () => {
    const login = await api(server, 'POST', 'auth/radius/login', { body: { username: 'alice', password: TEST_USERS.alice } });
    const token = login.body.auth.client_token as string;

    const renewed = await api(server, 'POST', 'auth/token/renew-self', { token, body: {} });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal(renewed.body.auth.lease_duration, 1200);

    await api(server, 'POST', 'auth/radius/users/alice', { token: ROOT, body: { policies: 'web-read,other' } });
    const refused = await api(server, 'POST', 'auth/token/renew-self', { token, body: {} });
    await api(server, 'POST', 'auth/radius/users/alice', { token: ROOT, body: { policies: 'web-read' } });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.errors, ['policies have changed, not renewing']);
  });

  test('wrong password and unregistered user', async () => {
    const wrong = await api(server, 'POST', 'auth/radius/login/bob', { body: { password: 'wrong' } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body.errors, ['access denied by the authentication server']);

    const unregistered = await api(server, 'POST', 'auth/radius/login/carol', { body: { password: TEST_USERS.carol } });
    assert.equal(unregistered.status, 400);
    assert.deepEqual(unregistered.body.errors, ['authentication succeeded but user has no associated policies']);
  });

  test('five failures lock the user', async () => {
    // mallory is unknown to the RADIUS server, so every password is rejected.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const failed = await api(server, 'POST', 'auth/radius/login', { body: { username: 'mallory', password: `guess-${attempt}` } });
      assert.equal(failed.status, 400);
      assert.deepEqual(failed.body.errors, ['access denied by the authentication server']);
    }
    const locked = await api(server, 'POST', 'auth/radius/login/Mallory', { body: { password: 'guess-5' } });
    assert.equal(locked.status, 403);
    assert.deepEqual(locked.body.errors, ['permission denied']);

    const listed = await api(server, 'GET', 'sys/locked-users', { token: ROOT });
    const mount = listed.body.data.by_namespace[0].mount_accessors[0];
    assert.deepEqual(mount.alias_identifiers, ['mallory']);

    assert.equal((await api(server, 'POST', `sys/locked-users/${mount.mount_accessor}/unlock/mallory`, { token: ROOT })).status, 204);
    const unlocked = await api(server, 'POST', 'auth/radius/login/mallory', { body: { password: 'guess-6' } });
    assert.equal(unlocked.status, 400);
    assert.deepEqual(unlocked.body.errors, ['access denied by the authentication server']);
  });

  test('numeric username is locked too', async () => {
    // The username field takes a JSON number as its text, so 4711 is the user "4711".
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const failed = await api(server, 'POST', 'auth/radius/login', { body: { username: 4711, password: `guess-${attempt}` } });
      assert.equal(failed.status, 400);
      assert.deepEqual(failed.body.errors, ['access denied by the authentication server']);
    }
    const locked = await api(server, 'POST', 'auth/radius/login', { body: { username: 4711, password: 'guess-5' } });
    assert.equal(locked.status, 403);
    assert.deepEqual(locked.body.errors, ['permission denied']);
    const lockedByName = await api(server, 'POST', 'auth/radius/login/4711', { body: { password: 'guess-6' } });
    assert.equal(lockedByName.status, 403);

    const listed = await api(server, 'GET', 'sys/locked-users', { token: ROOT });
    const mount = listed.body.data.by_namespace[0].mount_accessors[0];
    assert.deepEqual(mount.alias_identifiers, ['4711']);
    assert.equal((await api(server, 'POST', `sys/locked-users/${mount.mount_accessor}/unlock/4711`, { token: ROOT })).status, 204);
  });
});
