import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIRECTORY, slapdSkipReason, startTestDirectory, type TestDirectory } from '@coffer/auth-ldap/testing';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';

const POLICIES: Record<string, string> = {
  'dev-read': 'path "secret/data/dev/*" {\n  capabilities = ["read"]\n}\n',
  'eng-read': 'path "secret/data/eng/*" {\n  capabilities = ["read"]\n}\n',
  'staff-list': 'path "secret/metadata/*" {\n  capabilities = ["list"]\n}\n',
  'admin-all': 'path "secret/*" {\n  capabilities = ["create", "read", "update", "delete", "list"]\n}\n',
};

describe('ldap over HTTP', { skip: slapdSkipReason() ?? false }, () => {
  let directory: TestDirectory;
  let server: RunningServer;

  before(async () => {
    directory = await startTestDirectory();
    server = await startDevServer(ROOT);

    assert.equal((await api(server, 'POST', 'sys/auth/ldap', { token: ROOT, body: { type: 'ldap' } })).status, 204);
    for (const [name, policy] of Object.entries(POLICIES)) {
      assert.equal((await api(server, 'PUT', `sys/policies/acl/${name}`, { token: ROOT, body: { policy } })).status, 204);
    }
    for (const path of ['dev/db', 'eng/db', 'ops/db']) {
      assert.equal((await api(server, 'POST', `secret/data/${path}`, { token: ROOT, body: { data: { password: `${path}-pw` } } })).status, 200);
    }

    const config = await api(server, 'POST', 'auth/ldap/config', {
      token: ROOT,
      body: {
        url: directory.url,
        starttls: true,
        certificate: directory.caCertificate,
        binddn: DIRECTORY.readerDn,
        bindpass: DIRECTORY.readerPassword,
        userdn: DIRECTORY.peopleDn,
        userattr: 'uid',
        groupdn: DIRECTORY.groupsDn,
        groupfilter: '(&(objectClass=groupOfNames)(member:1.2.840.113556.1.4.1941:={{.UserDN}}))',
        token_ttl: '30m',
      },
    });
    assert.equal(config.status, 204);
    const groups: Array<[string, string]> = [['developers', 'dev-read'], ['engineering', 'eng-read'], ['staff', 'staff-list'], ['admins', 'admin-all']];
    for (const [group, policy] of groups) {
      assert.equal((await api(server, 'POST', `auth/ldap/groups/${group}`, { token: ROOT, body: { policies: policy } })).status, 204);
    }
  });

  after(async () => {
    await server?.close();
    await directory?.stop();
  });

  test('config read hides bindpass', async () => {
    const response = await api(server, 'GET', 'auth/ldap/config', { token: ROOT });

    assert.equal(response.status, 200);
    assert.equal(response.body.data.binddn, DIRECTORY.readerDn);
    assert.equal(response.body.data.starttls, true);
    assert.equal('bindpass' in response.body.data, false);
  });

  test('nested groups grant their policies', async () => {
    const response = await api(server, 'POST', 'auth/ldap/login/carol', { body: { password: DIRECTORY.users.carol.password } });

    assert.equal(response.status, 200);
    const auth = response.body.auth;
    assert.match(auth.client_token, /^hvs\./);
    assert.deepEqual(auth.policies, ['default', 'dev-read', 'eng-read', 'staff-list']);
    assert.deepEqual(auth.token_policies, ['default', 'dev-read', 'eng-read', 'staff-list']);
    assert.deepEqual(auth.metadata, { username: 'carol' });
    assert.equal(auth.lease_duration, 1800);
    assert.equal(auth.renewable, true);
  });

  test('token reaches exactly what its policies grant', async () => {
    const login = await api(server, 'POST', 'auth/ldap/login/carol', { body: { password: DIRECTORY.users.carol.password } });
    const token = login.body.auth.client_token as string;

    const dev = await api(server, 'GET', 'secret/data/dev/db', { token });
    const eng = await api(server, 'GET', 'secret/data/eng/db', { token });
    const ops = await api(server, 'GET', 'secret/data/ops/db', { token });
    const write = await api(server, 'POST', 'secret/data/dev/db', { token, body: { data: { password: 'x' } } });
    const list = await api(server, 'LIST', 'secret/metadata/', { token });
    const config = await api(server, 'GET', 'auth/ldap/config', { token });

    assert.equal(dev.status, 200);
    assert.deepEqual(dev.body.data.data, { password: 'dev/db-pw' });
    assert.equal(eng.status, 200);
    assert.deepEqual(eng.body.data.data, { password: 'eng/db-pw' });
    assert.equal(ops.status, 403);
    assert.deepEqual(ops.body, { errors: ['permission denied'] });
    assert.equal(write.status, 403);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data.keys, ['dev/', 'eng/', 'ops/']);
    assert.equal(config.status, 403);
  });

  test('token carries the user\'s identity', async () => {
    const login = await api(server, 'POST', 'auth/ldap/login/Alice', { body: { password: DIRECTORY.users.alice.password } });

    const lookup = await api(server, 'GET', 'auth/token/lookup-self', { token: login.body.auth.client_token });

    assert.equal(lookup.status, 200);
    assert.equal(lookup.body.data.display_name, 'ldap-alice');
    assert.deepEqual(lookup.body.data.meta, { username: 'alice' });
    assert.deepEqual(lookup.body.data.policies, ['admin-all', 'default']);
  });

  test('wrong password and unknown user get the same error', async () => {
    const wrong = await api(server, 'POST', 'auth/ldap/login/carol', { body: { password: 'not-her-password' } });
    const unknown = await api(server, 'POST', 'auth/ldap/login/mallory', { body: { password: 'anything' } });

    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body, { errors: ['ldap operation failed: failed to bind as user'] });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, { errors: ['ldap operation failed: failed to bind as user'] });
  });

  test('empty password rejected', async () => {
    const response = await api(server, 'POST', 'auth/ldap/login/carol', { body: { password: '' } });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['password cannot be of zero length when passwordless binds are being denied'] });
  });

  test('config needs a token', async () => {
    const response = await api(server, 'GET', 'auth/ldap/config');

    assert.equal(response.status, 403);
  });
});
