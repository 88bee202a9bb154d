import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';

const TEAM_POLICY = `
path "secret/data/team/*" {
  capabilities = ["read"]
}
`;

describe('userpass over HTTP', () => {
  let server: RunningServer;

  before(async () => {
    server = await startDevServer(ROOT);
    assert.equal((await api(server, 'POST', 'sys/auth/userpass', { token: ROOT, body: { type: 'userpass' } })).status, 204);
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/team-read', { token: ROOT, body: { policy: TEAM_POLICY } })).status, 204);
    await api(server, 'POST', 'secret/data/team/db', { token: ROOT, body: { data: { password: 'team-pw' } } });
    await api(server, 'POST', 'secret/data/other/db', { token: ROOT, body: { data: { password: 'other-pw' } } });
    const created = await api(server, 'POST', 'auth/userpass/users/alice', {
      token: ROOT,
      body: { password: 'correct horse', token_policies: 'team-read', token_ttl: '30m', token_max_ttl: '2h' },
    });
    assert.equal(created.status, 204);
  });
  after(() => server.close());

  test('login returns Vault\'s auth block', async () => {
    const response = await api(server, 'POST', 'auth/userpass/login/alice', { body: { password: 'correct horse' } });

    assert.equal(response.status, 200);
    const auth = response.body.auth;
    assert.match(auth.client_token, /^hvs\./);
    assert.equal(typeof auth.accessor, 'string');
    assert.deepEqual(auth.policies, ['default', 'team-read']);
    assert.deepEqual(auth.token_policies, ['default', 'team-read']);
    assert.deepEqual(auth.metadata, { username: 'alice' });
    assert.equal(auth.lease_duration, 1800);
    assert.equal(auth.renewable, true);
    assert.equal(auth.orphan, true);
    assert.equal(auth.token_type, 'service');
    assert.equal(auth.num_uses, 0);
    assert.equal(response.body.data, null);
    assert.equal(response.body.lease_id, '');
  });

  test('token reads what its policy grants and nothing else', async () => {
    const login = await api(server, 'POST', 'auth/userpass/login/alice', { body: { password: 'correct horse' } });
    const token = login.body.auth.client_token as string;

    const granted = await api(server, 'GET', 'secret/data/team/db', { token });
    const denied = await api(server, 'GET', 'secret/data/other/db', { token });
    const write = await api(server, 'POST', 'secret/data/team/db', { token, body: { data: { password: 'x' } } });

    assert.equal(granted.status, 200);
    assert.deepEqual(granted.body.data.data, { password: 'team-pw' });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, { errors: ['permission denied'] });
    assert.equal(write.status, 403);
  });

  test('token carries the user\'s identity', async () => {
    const login = await api(server, 'POST', 'auth/userpass/login/ALICE', { body: { password: 'correct horse' } });

    const lookup = await api(server, 'GET', 'auth/token/lookup-self', { token: login.body.auth.client_token });

    assert.equal(lookup.status, 200);
    assert.equal(lookup.body.data.display_name, 'userpass-alice');
    assert.deepEqual(lookup.body.data.meta, { username: 'alice' });
    assert.equal(lookup.body.data.path, 'auth/userpass/login/ALICE');
  });

  test('renewal stops at the user\'s max TTL', async () => {
    const login = await api(server, 'POST', 'auth/userpass/login/alice', { body: { password: 'correct horse' } });
    const token = login.body.auth.client_token as string;

    const renewed = await api(server, 'PUT', 'auth/token/renew-self', { token, body: { increment: '100h' } });

    assert.equal(renewed.status, 200);
    // token_max_ttl is 2h and a second or so has passed since login.
    assert.ok(renewed.body.auth.lease_duration <= 7200, `lease_duration ${renewed.body.auth.lease_duration} passes the 2h max TTL`);
    assert.ok(renewed.body.auth.lease_duration >= 7190, `lease_duration ${renewed.body.auth.lease_duration} is far below the 2h max TTL`);
    assert.equal(renewed.body.warnings.length, 1);
    assert.match(renewed.body.warnings[0], /^TTL of 360000s exceeded the effective max_ttl of 7(1\d\d|200)s; TTL value is capped accordingly$/);
  });

  test('wrong password and unknown user get the same error', async () => {
    const wrong = await api(server, 'POST', 'auth/userpass/login/alice', { body: { password: 'battery staple' } });
    const unknown = await api(server, 'POST', 'auth/userpass/login/mallory', { body: { password: 'correct horse' } });

    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body, { errors: ['invalid username or password'] });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, { errors: ['invalid username or password'] });
  });

  test('user management needs a token', async () => {
    const anonymous = await api(server, 'GET', 'auth/userpass/users/alice');
    const read = await api(server, 'GET', 'auth/userpass/users/alice', { token: ROOT });
    const list = await api(server, 'LIST', 'auth/userpass/users', { token: ROOT });

    assert.equal(anonymous.status, 403);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data.token_policies, ['team-read']);
    assert.equal(read.body.data.token_ttl, 1800);
    assert.equal('password' in read.body.data, false);
    assert.deepEqual(list.body.data.keys, ['alice']);
  });

  test('password change takes effect', async () => {
    await api(server, 'POST', 'auth/userpass/users/bob', { token: ROOT, body: { password: 'first' } });

    const changed = await api(server, 'POST', 'auth/userpass/users/bob/password', { token: ROOT, body: { password: 'second' } });
    const oldLogin = await api(server, 'POST', 'auth/userpass/login/bob', { body: { password: 'first' } });
    const newLogin = await api(server, 'POST', 'auth/userpass/login/bob', { body: { password: 'second' } });

    assert.equal(changed.status, 204);
    assert.equal(oldLogin.status, 400);
    assert.equal(newLogin.status, 200);
    assert.deepEqual(newLogin.body.auth.policies, ['default']);
  });

  test('bound CIDRs refuse other addresses', async () => {
    await api(server, 'POST', 'auth/userpass/users/carol', { token: ROOT, body: { password: 'pw', token_bound_cidrs: '10.0.0.0/8' } });

    const response = await api(server, 'POST', 'auth/userpass/login/carol', { body: { password: 'pw' } });

    assert.equal(response.status, 403);
    assert.deepEqual(response.body, { errors: ['permission denied'] });
  });

  test('bad input is a 400 naming the field', async () => {
    const response = await api(server, 'POST', 'auth/userpass/users/dave', { token: ROOT, body: { token_policies: 'x' } });
    const read = await api(server, 'GET', 'auth/userpass/users/dave', { token: ROOT });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['missing password: set "password" to create user "dave"'] });
    assert.equal(read.status, 404);
  });
});

const PYTHON = '/usr/bin/python3';
const HVAC_SCRIPT = fileURLToPath(new URL('../../fixtures/hvac_auth.py', import.meta.url));
const hvacSkip = existsSync(PYTHON) ? false : 'no /usr/bin/python3 on this machine';

test('hvac logs in with userpass and approle', { skip: hvacSkip }, async () => {
  const server = await startDevServer('hvac-auth-root');
  try {
    const { stdout } = await promisify(execFile)(PYTHON, [HVAC_SCRIPT, server.address, 'hvac-auth-root'], { timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), {
      userpass_policies: ['default', 'team-read'],
      userpass_ttl: 1800,
      userpass_metadata: { username: 'alice' },
      userpass_read: { password: 'team-pw' },
      userpass_denied: 'forbidden',
      userpass_wrong_password: 'invalid username or password',
      approle_secret_id_num_uses: 2,
      approle_policies: ['default', 'team-read'],
      approle_ttl: 600,
      approle_metadata: { role_name: 'builder', stage: 'ci' },
      approle_read: { password: 'team-pw' },
      approle_second_login: true,
      approle_exhausted: 'invalid role or secret ID',
    });
  } finally {
    await server.close();
  }
});
