/**
 * The LDAP secrets engine through a real dev server and a private slapd.
 * Every password the engine sets is checked by logging in with it through
 * Coffer's LDAP auth method against the same directory. Static roles rotate
 * over HTTP, dynamic credentials and library check-outs end with
 * sys/leases/revoke, and rotate-root retires the old bind password.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIRECTORY, slapdSkipReason, startTestDirectory, type TestDirectory } from '@coffer/auth-ldap/testing';
import type { RunningServer } from '../server.js';
import { api, startDevServer, type ApiResponse } from '../testing/api-client.js';

const ROOT = 'root-ldap-secrets-test-token';
const DIGITS_POLICY = 'length = 24\nrule "charset" {\n  charset = "0123456789"\n}\n';
const LOGIN_FAILED = { errors: ['ldap operation failed: failed to bind as user'] };

const CREATION_LDIF = `dn: cn={{.Username}},${DIRECTORY.peopleDn}
objectClass: inetOrgPerson
cn: {{.Username}}
sn: {{.RoleName}}
userPassword: {{.Password}}
`;
const DELETION_LDIF = `dn: cn={{.Username}},${DIRECTORY.peopleDn}
changetype: delete
`;

describe('ldap secrets over HTTP', { skip: slapdSkipReason() ?? false }, () => {
  let directory: TestDirectory;
  let server: RunningServer;
  const call = (method: string, path: string, body?: unknown): Promise<ApiResponse> => api(server, method, path, { token: ROOT, body });
  let config: Record<string, unknown>;

  /** Logs in through auth mount `mount` (people or services); returns the status and body. */
  const login = (mount: 'people' | 'services', username: string, password: string): Promise<ApiResponse> =>
    api(server, 'POST', `auth/${mount}/login/${encodeURIComponent(username)}`, { body: { password } });

  before(async () => {
    directory = await startTestDirectory();
    server = await startDevServer(ROOT);
    assert.equal((await call('POST', 'sys/mounts/ldap', { type: 'ldap' })).status, 204);
    for (const [mount, userdn] of [['people', DIRECTORY.peopleDn], ['services', `ou=services,${DIRECTORY.baseDn}`]]) {
      assert.equal((await call('POST', `sys/auth/${mount}`, { type: 'ldap' })).status, 204);
      const auth = await call('POST', `auth/${mount}/config`, { url: directory.url, binddn: DIRECTORY.readerDn, bindpass: DIRECTORY.readerPassword, userdn, userattr: 'cn' });
      assert.equal(auth.status, 204, JSON.stringify(auth.body));
    }
    config = {
      url: directory.url,
      starttls: true,
      certificate: directory.caCertificate,
      binddn: DIRECTORY.managerDn,
      bindpass: DIRECTORY.managerPassword,
      userdn: DIRECTORY.peopleDn,
    };
    const configured = await call('POST', 'ldap/config', config);
    assert.equal(configured.status, 204, JSON.stringify(configured.body));
  });

  after(async () => {
    await server?.close();
    await directory?.stop();
  });

  test('config read hides bindpass', async () => {
    const response = await call('GET', 'ldap/config');

    assert.equal(response.status, 200);
    assert.equal(response.body.data.bindpass, undefined);
    assert.equal(response.body.data.binddn, DIRECTORY.managerDn);
    assert.equal(response.body.data.starttls, true);
    assert.equal(JSON.stringify(response.body).includes(DIRECTORY.managerPassword), false);
  });

  test('wrong bind password is rejected', async () => {
    const response = await call('POST', 'ldap/config', { ...config, bindpass: 'wrong-manager-secret' });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: [`failed to bind with the new config: failed to bind as "${DIRECTORY.managerDn}": invalid credentials (LDAP result 49)`] });
    assert.equal((await call('GET', 'ldap/config')).body.data.starttls, true);
  });

  test('static role rotates by hand', async () => {
    const created = await call('POST', 'ldap/static-role/alice', { username: 'alice', rotation_period: '24h' });
    assert.equal(created.status, 204, JSON.stringify(created.body));
    const first = (await call('GET', 'ldap/static-cred/alice')).body.data;
    assert.equal(first.dn, DIRECTORY.users.alice.dn);
    assert.equal((await login('people', 'alice', DIRECTORY.users.alice.password)).status, 400);
    assert.equal((await login('people', 'alice', first.password)).status, 200);

    const rotated = await call('POST', 'ldap/rotate-role/alice');

    assert.equal(rotated.status, 204, JSON.stringify(rotated.body));
    const second = (await call('GET', 'ldap/static-cred/alice')).body.data;
    assert.equal(second.last_password, first.password);
    assert.deepEqual((await login('people', 'alice', first.password)).body, LOGIN_FAILED);
    assert.equal((await login('people', 'alice', second.password)).status, 200);
    assert.deepEqual((await call('LIST', 'ldap/static-role')).body.data, { keys: ['alice'] });
  });

  test('static role input is validated', async () => {
    const response = await call('POST', 'ldap/static-role/short', { username: 'bob', rotation_period: 2 });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['invalid field "rotation_period": 2 s is shorter than the minimum of 5 s'] });
    assert.equal((await call('GET', 'ldap/static-role/short')).status, 404);
  });

  test('dynamic creds revoked by sys/leases/revoke', async () => {
    const role = await call('POST', 'ldap/role/dev', { creation_ldif: CREATION_LDIF, deletion_ldif: DELETION_LDIF, default_ttl: '10m', max_ttl: '30m' });
    assert.equal(role.status, 204, JSON.stringify(role.body));

    const issued = await call('GET', 'ldap/creds/dev');

    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const { username, password, distinguished_names } = issued.body.data;
    assert.match(username, /^v_root_dev_[A-Za-z0-9]{10}_\d+$/);
    assert.deepEqual(distinguished_names, [`cn=${username},${DIRECTORY.peopleDn}`]);
    assert.match(issued.body.lease_id, /^ldap\/creds\/dev\/\w+/);
    assert.equal(issued.body.lease_duration, 600);
    assert.equal(issued.body.renewable, true);
    assert.equal((await login('people', username, password)).status, 200);

    const renewed = await call('PUT', 'sys/leases/renew', { lease_id: issued.body.lease_id, increment: 900 });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal(renewed.body.lease_duration, 900);

    const revoked = await call('PUT', 'sys/leases/revoke', { lease_id: issued.body.lease_id });

    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    assert.deepEqual((await login('people', username, password)).body, LOGIN_FAILED);
    const lookup = await call('PUT', 'sys/leases/lookup', { lease_id: issued.body.lease_id });
    assert.deepEqual(lookup.body, { errors: ['invalid lease'] });
  });

  test('invalid LDIF is rejected', async () => {
    const response = await call('POST', 'ldap/role/bad', { creation_ldif: 'dn: cn=x,dc=example,dc=com\nchangetype: modrdn\n', deletion_ldif: DELETION_LDIF });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['invalid field "creation_ldif": line 2: changetype "modrdn" is not supported; use add, modify or delete'] });
    assert.equal((await call('GET', 'ldap/role/bad')).status, 404);
  });

  test('password policy shapes passwords', async () => {
    assert.equal((await call('PUT', 'sys/policies/password/ldap-digits', { policy: DIGITS_POLICY })).status, 204);
    assert.equal((await call('POST', 'ldap/config', { password_policy: 'ldap-digits' })).status, 204);

    assert.equal((await call('POST', 'ldap/rotate-role/alice')).status, 204);

    const { password } = (await call('GET', 'ldap/static-cred/alice')).body.data;
    assert.match(password, /^\d{24}$/);
    assert.equal((await login('people', 'alice', password)).status, 200);
  });

  test('library check-out ends with sys/leases/revoke', async () => {
    const set = await call('POST', 'ldap/library/team', { service_account_names: 'bob', ttl: '1h', max_ttl: '2h' });
    assert.equal(set.status, 204, JSON.stringify(set.body));

    const lent = await call('POST', 'ldap/library/team/check-out');

    assert.equal(lent.status, 200, JSON.stringify(lent.body));
    assert.equal(lent.body.data.service_account_name, 'bob');
    assert.match(lent.body.lease_id, /^ldap\/library\/team\/check-out\/\w+/);
    assert.equal(lent.body.lease_duration, 3600);
    assert.equal((await login('people', 'bob', lent.body.data.password)).status, 200);
    assert.equal((await login('people', 'bob', DIRECTORY.users.bob.password)).status, 400);
    const refused = await call('POST', 'ldap/library/team/check-out');
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, { errors: ['no service accounts are available for check-out in library set "team"; check one in first'] });

    const revoked = await call('PUT', 'sys/leases/revoke', { lease_id: lent.body.lease_id });

    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    assert.deepEqual((await login('people', 'bob', lent.body.data.password)).body, LOGIN_FAILED);
    assert.deepEqual((await call('GET', 'ldap/library/team/status')).body.data, { bob: { available: true } });
  });

  test('rotate-root retires the bind password', async () => {
    assert.equal((await login('services', 'manager', DIRECTORY.managerPassword)).status, 200);

    const rotated = await call('POST', 'ldap/rotate-root');

    assert.equal(rotated.status, 204, JSON.stringify(rotated.body));
    assert.deepEqual((await login('services', 'manager', DIRECTORY.managerPassword)).body, LOGIN_FAILED);
    // The engine binds with the new password it stored.
    assert.equal((await call('POST', 'ldap/rotate-role/alice')).status, 204);
    assert.equal((await call('GET', 'ldap/config')).body.data.bindpass, undefined);
  });
});
