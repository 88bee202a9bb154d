import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIRECTORY, slapdSkipReason, startTestDirectory, type TestDirectory } from '@coffer/auth-ldap/testing';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';

describe('one person through userpass and LDAP', { skip: slapdSkipReason() ?? false }, () => {
  let directory: TestDirectory;
  let server: RunningServer;
  let entityId: string;

  before(async () => {
    directory = await startTestDirectory();
    server = await startDevServer(ROOT);
    const policies: Record<string, string> = {
      'from-userpass': 'path "secret/data/shared/userpass" { capabilities = ["read"] }',
      'from-ldap': 'path "secret/data/shared/ldap" { capabilities = ["read"] }',
      own: 'path "secret/data/people/{{identity.entity.name}}/*" { capabilities = ["read"] }',
    };
    for (const [name, policy] of Object.entries(policies)) {
      assert.equal((await api(server, 'PUT', `sys/policies/acl/${name}`, { token: ROOT, body: { policy } })).status, 204);
    }
    for (const path of ['shared/userpass', 'shared/ldap', 'people/carol/notes', 'people/dave/notes']) {
      await api(server, 'POST', `secret/data/${path}`, { token: ROOT, body: { data: { path } } });
    }

    await api(server, 'POST', 'sys/auth/userpass', { token: ROOT, body: { type: 'userpass' } });
    await api(server, 'POST', 'sys/auth/ldap', { token: ROOT, body: { type: 'ldap' } });
    await api(server, 'POST', 'auth/userpass/users/carol', { token: ROOT, body: { password: 'up-pass', token_policies: 'from-userpass' } });
    await api(server, 'POST', 'auth/ldap/config', {
      token: ROOT,
      body: { url: directory.url, binddn: DIRECTORY.readerDn, bindpass: DIRECTORY.readerPassword, userdn: DIRECTORY.peopleDn, userattr: 'uid', groupdn: DIRECTORY.groupsDn },
    });
    await api(server, 'POST', 'auth/ldap/users/carol', { token: ROOT, body: { policies: 'from-ldap' } });

    // One entity named carol, with an alias on each mount.
    const mounts = (await api(server, 'GET', 'sys/auth', { token: ROOT })).body.data;
    const entity = await api(server, 'POST', 'identity/entity', { token: ROOT, body: { name: 'carol', policies: ['own'] } });
    entityId = entity.body.data.id;
    for (const mount of ['userpass/', 'ldap/']) {
      const alias = await api(server, 'POST', 'identity/entity-alias', { token: ROOT, body: { name: 'carol', canonical_id: entityId, mount_accessor: mounts[mount].accessor } });
      assert.equal(alias.status, 200, JSON.stringify(alias.body));
    }
  });

  after(async () => {
    await server?.close();
    await directory?.stop();
  });

  test('both logins land on the same entity with the union of policies', async () => {
    const viaUserpass = await api(server, 'POST', 'auth/userpass/login/carol', { body: { password: 'up-pass' } });
    const viaLdap = await api(server, 'POST', 'auth/ldap/login/carol', { body: { password: DIRECTORY.users.carol.password } });
    assert.equal(viaUserpass.status, 200);
    assert.equal(viaLdap.status, 200, JSON.stringify(viaLdap.body));
    assert.equal(viaUserpass.body.auth.entity_id, entityId);
    assert.equal(viaLdap.body.auth.entity_id, entityId);
    assert.deepEqual(viaUserpass.body.auth.identity_policies, ['own']);

    for (const token of [viaUserpass.body.auth.client_token, viaLdap.body.auth.client_token]) {
      assert.equal((await api(server, 'GET', 'secret/data/people/carol/notes', { token })).status, 200);
      assert.equal((await api(server, 'GET', 'secret/data/people/dave/notes', { token })).status, 403);
    }
    const userpassToken = viaUserpass.body.auth.client_token;
    const ldapToken = viaLdap.body.auth.client_token;
    assert.equal((await api(server, 'GET', 'secret/data/shared/userpass', { token: userpassToken })).status, 200);
    assert.equal((await api(server, 'GET', 'secret/data/shared/ldap', { token: userpassToken })).status, 403);
    assert.equal((await api(server, 'GET', 'secret/data/shared/ldap', { token: ldapToken })).status, 200);
  });
});

describe('user lockout over HTTP', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
    await api(server, 'POST', 'sys/auth/userpass', { token: ROOT, body: { type: 'userpass' } });
    await api(server, 'POST', 'auth/userpass/users/erin', { token: ROOT, body: { password: 'right', token_policies: 'default' } });
  });
  after(() => server.close());

  test('five failures lock the user until unlocked', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const failed = await api(server, 'POST', 'auth/userpass/login/erin', { body: { password: 'wrong' } });
      assert.equal(failed.status, 400);
    }
    const locked = await api(server, 'POST', 'auth/userpass/login/erin', { body: { password: 'right' } });
    assert.equal(locked.status, 403);
    assert.deepEqual(locked.body.errors, ['permission denied']);

    const listed = await api(server, 'GET', 'sys/locked-users', { token: ROOT });
    assert.equal(listed.body.data.total, 1);
    const mount = listed.body.data.by_namespace[0].mount_accessors[0];
    assert.deepEqual(mount.alias_identifiers, ['erin']);

    assert.equal((await api(server, 'POST', `sys/locked-users/${mount.mount_accessor}/unlock/erin`, { token: ROOT })).status, 204);
    const unlocked = await api(server, 'POST', 'auth/userpass/login/erin', { body: { password: 'right' } });
    assert.equal(unlocked.status, 200);
  });
});
