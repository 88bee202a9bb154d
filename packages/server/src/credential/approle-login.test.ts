import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';

const BUILD_POLICY = `
path "secret/data/build/*" {
  capabilities = ["read"]
}
`;

describe('approle over HTTP', () => {
  let server: RunningServer;
  let roleId: string;

  /** Generates a secret ID for the `builder` role and returns the response data. */
  async function newSecretId(body: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const response = await api(server, 'POST', 'auth/approle/role/builder/secret-id', { token: ROOT, body });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.data;
  }

  before(async () => {
    server = await startDevServer(ROOT);
    assert.equal((await api(server, 'POST', 'sys/auth/approle', { token: ROOT, body: { type: 'approle' } })).status, 204);
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/build-read', { token: ROOT, body: { policy: BUILD_POLICY } })).status, 204);
    await api(server, 'POST', 'secret/data/build/key', { token: ROOT, body: { data: { key: 'build-key' } } });
    await api(server, 'POST', 'secret/data/deploy/key', { token: ROOT, body: { data: { key: 'deploy-key' } } });
    const created = await api(server, 'POST', 'auth/approle/role/builder', {
      token: ROOT,
      body: { token_policies: ['build-read'], token_ttl: '20m', token_max_ttl: '1h', secret_id_ttl: '10m' },
    });
    assert.equal(created.status, 204);
    roleId = (await api(server, 'GET', 'auth/approle/role/builder/role-id', { token: ROOT })).body.data.role_id;
  });
  after(() => server.close());

  test('login returns Vault\'s auth block', async () => {
    const { secret_id: secretId } = await newSecretId({ metadata: '{"stage": "ci"}' });

    const response = await api(server, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });

    assert.equal(response.status, 200, JSON.stringify(response.body));
    const auth = response.body.auth;
    assert.match(auth.client_token, /^hvs\./);
    assert.deepEqual(auth.policies, ['build-read', 'default']);
    assert.deepEqual(auth.token_policies, ['build-read', 'default']);
    assert.deepEqual(auth.metadata, { role_name: 'builder', stage: 'ci' });
    assert.equal(auth.lease_duration, 1200);
    assert.equal(auth.renewable, true);
    assert.equal(auth.orphan, true);
    assert.equal(auth.token_type, 'service');
    assert.equal(response.body.data, null);
  });

  test('token reads what its policy grants and nothing else', async () => {
    const { secret_id: secretId } = await newSecretId();
    const login = await api(server, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
    const token = login.body.auth.client_token as string;

    const granted = await api(server, 'GET', 'secret/data/build/key', { token });
    const denied = await api(server, 'GET', 'secret/data/deploy/key', { token });
    const manage = await api(server, 'POST', 'auth/approle/role/builder/secret-id', { token, body: {} });

    assert.equal(granted.status, 200);
    assert.deepEqual(granted.body.data.data, { key: 'build-key' });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, { errors: ['permission denied'] });
    assert.equal(manage.status, 403);
  });

  test('secret ID generation has Vault\'s shape', async () => {
    const data = await newSecretId({ num_uses: 3, ttl: '5m' });

    assert.deepEqual(Object.keys(data).sort(), ['secret_id', 'secret_id_accessor', 'secret_id_num_uses', 'secret_id_ttl']);
    assert.equal(data.secret_id_num_uses, 3);
    assert.equal(data.secret_id_ttl, 300);

    const lookup = await api(server, 'POST', 'auth/approle/role/builder/secret-id-accessor/lookup', {
      token: ROOT,
      body: { secret_id_accessor: data.secret_id_accessor },
    });
    assert.equal(lookup.status, 200);
    assert.equal(lookup.body.data.secret_id_accessor, data.secret_id_accessor);
    assert.equal('secret_id' in lookup.body.data, false);
    const list = await api(server, 'LIST', 'auth/approle/role/builder/secret-id', { token: ROOT });
    assert.ok((list.body.data.keys as string[]).includes(data.secret_id_accessor));
  });

  test('used-up secret ID is rejected', async () => {
    const { secret_id: secretId } = await newSecretId({ num_uses: 1 });

    const first = await api(server, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
    const second = await api(server, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });

    assert.equal(first.status, 200);
    assert.equal(second.status, 400);
    assert.deepEqual(second.body, { errors: ['invalid role or secret ID'] });
  });

  test('wrong credentials get Vault\'s error', async () => {
    const { secret_id: secretId } = await newSecretId();

    const wrongSecret = await api(server, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: 'nope' } });
    const wrongRole = await api(server, 'POST', 'auth/approle/login', { body: { role_id: 'nope', secret_id: secretId } });
    const missing = await api(server, 'POST', 'auth/approle/login', { body: { role_id: roleId } });

    assert.equal(wrongSecret.status, 400);
    assert.deepEqual(wrongSecret.body, { errors: ['invalid role or secret ID'] });
    assert.equal(wrongRole.status, 400);
    assert.deepEqual(wrongRole.body, { errors: ['invalid role or secret ID'] });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, { errors: ['missing secret_id'] });
  });

  test('role read and per-field paths', async () => {
    const numUses = await api(server, 'POST', 'auth/approle/role/builder/token-num-uses', { token: ROOT, body: { token_num_uses: 0 } });
    const read = await api(server, 'GET', 'auth/approle/role/builder', { token: ROOT });
    const field = await api(server, 'GET', 'auth/approle/role/builder/secret-id-ttl', { token: ROOT });

    assert.equal(numUses.status, 204);
    assert.equal(read.status, 200);
    assert.equal(read.body.data.bind_secret_id, true);
    assert.equal(read.body.data.token_ttl, 1200);
    assert.deepEqual(read.body.data.token_policies, ['build-read']);
    assert.deepEqual(field.body.data, { secret_id_ttl: 600 });
  });

  test('tidy returns 202', async () => {
    const response = await api(server, 'POST', 'auth/approle/tidy/secret-id', { token: ROOT });

    assert.equal(response.status, 202);
    assert.match(response.body.warnings[0], /^Tidy operation finished: removed \d+ expired secret IDs/);
  });

  test('bad input is a 400 naming the field', async () => {
    const response = await api(server, 'POST', 'auth/approle/role/builder/secret-id', { token: ROOT, body: { ttl: '1h' } });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ["ttl cannot be longer than the role's secret_id_ttl: got 3600, the role allows 600"] });
  });
});
