import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';

async function userpassLogin(server: RunningServer, username: string): Promise<{ token: string; accessor: string }> {
  const response = await api(server, 'POST', `auth/userpass/login/${username}`, { body: { password: 'pw-of-' + username } });
  assert.equal(response.status, 200);
  return { token: response.body.auth.client_token as string, accessor: response.body.auth.accessor as string };
}

async function createUser(server: RunningServer, username: string, settings: Record<string, unknown>): Promise<void> {
  const created = await api(server, 'POST', `auth/userpass/users/${username}`, { token: ROOT, body: { password: 'pw-of-' + username, ...settings } });
  assert.equal(created.status, 204);
}

describe('renewal of login tokens', () => {
  let server: RunningServer;

  before(async () => {
    server = await startDevServer(ROOT);
    assert.equal((await api(server, 'POST', 'sys/auth/userpass', { token: ROOT, body: { type: 'userpass' } })).status, 204);
    assert.equal((await api(server, 'POST', 'sys/auth/approle', { token: ROOT, body: { type: 'approle' } })).status, 204);
  });
  after(() => server.close());

  test('increment capped at the user token_max_ttl', async () => {
    await createUser(server, 'capped', { token_ttl: '10m', token_max_ttl: '1h' });
    const { token } = await userpassLogin(server, 'capped');

    const renewed = await api(server, 'PUT', 'auth/token/renew-self', { token, body: { increment: '10h' } });

    assert.equal(renewed.status, 200);
    const duration = renewed.body.auth.lease_duration as number;
    assert.ok(duration <= 3600, `lease_duration ${duration} is at most 1h`);
    assert.ok(duration >= 3590, `lease_duration ${duration} is close to 1h`);
    assert.equal(renewed.body.warnings.length, 1);
    assert.match(renewed.body.warnings[0], /exceeded the effective max_ttl/);
  });

  test('renewal without increment takes the user token_ttl', async () => {
    await createUser(server, 'plain', { token_ttl: '20m', token_max_ttl: '2h' });
    const { token } = await userpassLogin(server, 'plain');

    const renewed = await api(server, 'PUT', 'auth/token/renew-self', { token, body: {} });

    assert.equal(renewed.status, 200);
    assert.equal(renewed.body.auth.lease_duration, 1200);
  });

  test('changed user policies stop renewal', async () => {
    await createUser(server, 'moved', { token_policies: 'team-a' });
    const { token, accessor } = await userpassLogin(server, 'moved');
    const before = await api(server, 'POST', 'auth/token/lookup-accessor', { token: ROOT, body: { accessor } });
    assert.equal((await api(server, 'POST', 'auth/userpass/users/moved/policies', { token: ROOT, body: { token_policies: 'team-b' } })).status, 204);

    const renewed = await api(server, 'PUT', 'auth/token/renew-self', { token, body: {} });

    assert.equal(renewed.status, 400);
    assert.deepEqual(renewed.body.errors, ['policies have changed, not renewing']);
    const after = await api(server, 'POST', 'auth/token/lookup-accessor', { token: ROOT, body: { accessor } });
    assert.equal(after.body.data.expire_time, before.body.data.expire_time);
  });

  test('deleted user stops renewal', async () => {
    await createUser(server, 'gone', {});
    const { accessor } = await userpassLogin(server, 'gone');
    assert.equal((await api(server, 'DELETE', 'auth/userpass/users/gone', { token: ROOT })).status, 204);

    const renewed = await api(server, 'PUT', 'auth/token/renew-accessor', { token: ROOT, body: { accessor } });

    assert.equal(renewed.status, 400);
    assert.deepEqual(renewed.body.errors, ['user "gone" no longer exists, not renewing']);
  });

  test('approle renewal follows the role', async () => {
    const role = await api(server, 'POST', 'auth/approle/role/build', { token: ROOT, body: { token_ttl: '5m', token_max_ttl: '30m' } });
    assert.equal(role.status, 204);
    const roleId = (await api(server, 'GET', 'auth/approle/role/build/role-id', { token: ROOT })).body.data.role_id as string;
    const secretId = (await api(server, 'POST', 'auth/approle/role/build/secret-id', { token: ROOT })).body.data.secret_id as string;
    const login = await api(server, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
    assert.equal(login.status, 200);
    const token = login.body.auth.client_token as string;

    const renewed = await api(server, 'PUT', 'auth/token/renew', { token: ROOT, body: { token, increment: '1h' } });
    assert.equal(renewed.status, 200);
    const duration = renewed.body.auth.lease_duration as number;
    assert.ok(duration <= 1800, `lease_duration ${duration} is at most 30m`);
    assert.ok(duration >= 1790, `lease_duration ${duration} is close to 30m`);

    assert.equal((await api(server, 'DELETE', 'auth/approle/role/build', { token: ROOT })).status, 204);
    const refused = await api(server, 'PUT', 'auth/token/renew', { token: ROOT, body: { token } });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.errors, ['role "build" does not exist during renewal']);
  });

  test('token store tokens renew as before', async () => {
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { ttl: '10m', policies: ['default'] } });
    const token = created.body.auth.client_token as string;

    const renewed = await api(server, 'PUT', 'auth/token/renew-self', { token, body: { increment: '15m' } });

    assert.equal(renewed.status, 200);
    assert.equal(renewed.body.auth.lease_duration, 900);
  });
});
