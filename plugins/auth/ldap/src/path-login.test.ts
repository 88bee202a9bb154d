import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INVALID_CREDENTIALS_CODE, type RenewingLogin, type Response } from '@coffer/sdk';
import { assertRejects, authOf, createHarness, directConfig, type Harness } from './test-support.js';
import { DIRECTORY, freePort, slapdSkipReason, startTestDirectory, type TestDirectory } from './test-slapd.js';

const IN_CHAIN_FILTER = '(&(objectClass=groupOfNames)(member:1.2.840.113556.1.4.1941:={{.UserDN}}))';
const BIND_FAILED = 'ldap operation failed: failed to bind as user';
const { alice, bob, carol } = DIRECTORY.users;

describe('login', { skip: slapdSkipReason() ?? false }, () => {
  let directory: TestDirectory;

  before(async () => {
    directory = await startTestDirectory();
  });

  after(async () => {
    await directory?.stop();
  });

  /** Creates a harness configured with `config` and the group policies of the seeded groups. */
  async function configured(config: Record<string, unknown>): Promise<Harness> {
    const harness = createHarness();
    await harness.send('update', 'config', config);
    await harness.send('update', 'groups/admins', { policies: 'admin-policy' });
    await harness.send('update', 'groups/developers', { policies: 'dev-policy' });
    await harness.send('update', 'groups/engineering', { policies: 'eng-policy' });
    await harness.send('update', 'groups/staff', { policies: 'staff-policy' });
    return harness;
  }

  test('direct bind with user and group policies', async () => {
    const harness = await configured(directConfig(directory));
    await harness.send('update', 'users/alice', { groups: 'auditors', policies: 'alice-policy' });
    await harness.send('update', 'groups/auditors', { policies: 'audit-policy' });

    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }));

    assert.deepEqual(auth.policies, ['admin-policy', 'alice-policy', 'audit-policy']);
    assert.deepEqual(auth.metadata, { username: 'alice' });
    assert.equal(auth.displayName, 'alice');
    assert.deepEqual(auth.alias, { name: 'alice', metadata: { name: 'alice' } });
    assert.deepEqual(auth.groupAliases, [{ name: 'admins' }, { name: 'auditors' }]);
    assert.equal(auth.renewable, true);
    assert.equal(auth.tokenType, 'default');
  });

  test('timeouts of weeks do not fire at once', async () => {
    // Node.js runs a timer longer than about 24.8 days after 1 ms, so these must be capped rather than passed on.
    const harness = await configured(directConfig(directory, { request_timeout: '720h', connection_timeout: '720h' }));

    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }));

    assert.equal(auth.displayName, 'alice');
  });

  test('nested groups through in-chain rule', async () => {
    const harness = await configured(directConfig(directory, { groupfilter: IN_CHAIN_FILTER }));

    const auth = authOf(await harness.send('update', 'login/carol', { password: carol.password }));

    assert.deepEqual(auth.policies, ['dev-policy', 'eng-policy', 'staff-policy']);
    assert.deepEqual(auth.groupAliases, [{ name: 'developers' }, { name: 'engineering' }, { name: 'staff' }]);
  });

  test('nested groups with paged search', async () => {
    const harness = await configured(directConfig(directory, { groupfilter: IN_CHAIN_FILTER, max_page_size: 1 }));

    const auth = authOf(await harness.send('update', 'login/carol', { password: carol.password }));

    assert.deepEqual(auth.policies, ['dev-policy', 'eng-policy', 'staff-policy']);
  });

  test('default filter finds direct groups only', async () => {
    const harness = await configured(directConfig(directory));

    const auth = authOf(await harness.send('update', 'login/carol', { password: carol.password }));

    assert.deepEqual(auth.policies, ['dev-policy']);
    assert.deepEqual(auth.groupAliases, [{ name: 'developers' }]);
  });

  test('memberOf on user entry', async () => {
    // Vault's documented scenario for a directory that keeps memberOf on
    // users; this slapd computes it, nested groups included.
    const harness = await configured(
      directConfig(directory, { groupdn: DIRECTORY.peopleDn, groupfilter: '(&(objectClass=person)(uid={{.Username}}))', groupattr: 'memberOf' }),
    );

    const auth = authOf(await harness.send('update', 'login/carol', { password: carol.password }));

    assert.deepEqual(auth.policies, ['dev-policy', 'eng-policy', 'staff-policy']);
  });

  test('token settings applied', async () => {
    const harness = await configured(directConfig(directory, { token_policies: 'ldap-base', token_ttl: '30m', token_max_ttl: '2h', token_no_default_policy: true }));

    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }));

    assert.deepEqual(auth.policies, ['ldap-base', 'admin-policy']);
    assert.equal(auth.ttl, 1800);
    assert.equal(auth.maxTtl, 7200);
    assert.equal(auth.noDefaultPolicy, true);
  });

  /** Builds the login of `auth` as the server sends it back on renewal, with `password` kept. */
  function renewing(auth: NonNullable<Response['auth']>, password: unknown): RenewingLogin {
    return {
      policies: ['default', ...auth.policies],
      metadata: auth.metadata ?? {},
      internalData: { ...auth.internalData, password },
      displayName: auth.displayName ?? '',
      ttl: 3600,
      period: 0,
      explicitMaxTtl: 0,
      issueTime: '2026-01-01T00:00:00Z',
      increment: 0,
      entityId: '',
    };
  }

  test('renewal binds again with the kept password', async () => {
    const harness = await configured(directConfig(directory, { token_ttl: '20m', token_max_ttl: '1h' }));
    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }));
    assert.deepEqual(auth.internalData, { password: alice.password });

    const renewed = await harness.renew('login/alice', renewing(auth, alice.password));

    assert.equal(renewed?.auth?.ttl, 1200);
    assert.equal(renewed?.auth?.maxTtl, 3600);
  });

  test('renewal reports the current groups', async () => {
    const harness = await configured(directConfig(directory));
    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }));
    assert.deepEqual(auth.groupAliases, [{ name: 'admins' }]);
    // A group without policies, so that the renewal's policy check still passes.
    await harness.send('update', 'users/alice', { groups: 'auditors' });

    const renewed = await harness.renew('login/alice', renewing(auth, alice.password));

    assert.deepEqual(renewed?.auth?.groupAliases, [{ name: 'admins' }, { name: 'auditors' }]);
  });

  test('renewal rejected once the password no longer binds', async () => {
    const harness = await configured(directConfig(directory));
    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }));

    await assertRejects(harness.renew('login/alice', renewing(auth, 'changed-in-the-directory')), 400, BIND_FAILED);
    await assertRejects(harness.renew('login/alice', renewing(auth, undefined)), 400, 'the login kept no credentials, not renewing; log in again');
  });

  test('renewal rejected when group policies changed', async () => {
    const harness = await configured(directConfig(directory));
    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }));
    await harness.send('update', 'groups/admins', { policies: 'other-policy' });

    await assertRejects(harness.renew('login/alice', renewing(auth, alice.password)), 400, 'policies have changed, not renewing');
  });

  test('wrong password', async () => {
    const harness = await configured(directConfig(directory));

    await assertRejects(harness.send('update', 'login/alice', { password: 'not-her-password' }), 400, BIND_FAILED);
    await assert.rejects(harness.send('update', 'login/alice', { password: 'not-her-password' }), { code: INVALID_CREDENTIALS_CODE });
  });

  test('unknown user', async () => {
    const harness = await configured(directConfig(directory));

    await assertRejects(harness.send('update', 'login/mallory', { password: 'anything' }), 400, BIND_FAILED);
    await assert.rejects(harness.send('update', 'login/mallory', { password: 'anything' }), { code: INVALID_CREDENTIALS_CODE });
  });

  test('empty password rejected before connecting', async () => {
    // Nothing listens on this port, so any connection attempt would fail
    // with a different message.
    const harness = await configured(directConfig(directory, { url: `ldap://127.0.0.1:${await freePort()}` }));

    await assertRejects(harness.send('update', 'login/alice', { password: '' }), 400, 'password cannot be of zero length when passwordless binds are being denied');
    await assertRejects(harness.send('update', 'login/alice', {}), 400, 'password cannot be of zero length when passwordless binds are being denied');
  });

  test('empty password refused by server', async () => {
    // With deny_null_bind off the bind is unauthenticated, which slapd refuses by default.
    const harness = await configured(directConfig(directory, { deny_null_bind: false }));

    await assertRejects(harness.send('update', 'login/alice', { password: '' }), 400, BIND_FAILED);
  });

  test('not configured', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('update', 'login/alice', { password: alice.password }), 400, 'auth method not configured');
  });

  test('incomplete config', async () => {
    const harness = await configured({ url: directory.url });

    await assertRejects(
      harness.send('update', 'login/alice', { password: alice.password }),
      400,
      'auth method not configured: cannot derive the user bind DN: set "userdn", "upndomain", "discoverdn" or both "binddn" and "bindpass"',
    );
  });

  test('userfilter excludes contractors', async () => {
    const harness = await configured({
      url: directory.url,
      binddn: DIRECTORY.readerDn,
      bindpass: DIRECTORY.readerPassword,
      userdn: DIRECTORY.peopleDn,
      userattr: 'uid',
      userfilter: '(&(objectClass=inetOrgPerson)({{.UserAttr}}={{.Username}})(!(employeeType=contractor)))',
      groupdn: DIRECTORY.groupsDn,
    });

    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }));
    assert.deepEqual(auth.policies, ['admin-policy']);
    assert.deepEqual(auth.alias, { name: 'alice', metadata: { name: 'alice' } });

    await assertRejects(harness.send('update', 'login/bob', { password: bob.password }), 400, BIND_FAILED);
  });

  test('wrong bindpass', async () => {
    const harness = await configured({ url: directory.url, binddn: DIRECTORY.readerDn, bindpass: 'not-the-reader-password', userdn: DIRECTORY.peopleDn });

    await assertRejects(harness.send('update', 'login/alice', { password: alice.password }), 400, BIND_FAILED);
  });

  test('anonymous discovery of bind DN', async () => {
    const harness = await configured({ url: directory.url, discoverdn: true, userdn: DIRECTORY.peopleDn, userattr: 'uid', groupdn: DIRECTORY.groupsDn });

    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }));

    assert.deepEqual(auth.policies, ['admin-policy']);
  });

  test('anonymous group search', async () => {
    const harness = await configured({
      url: directory.url,
      binddn: DIRECTORY.readerDn,
      bindpass: DIRECTORY.readerPassword,
      userdn: DIRECTORY.peopleDn,
      groupdn: DIRECTORY.groupsDn,
      groupfilter: IN_CHAIN_FILTER,
      anonymous_group_search: true,
    });

    const auth = authOf(await harness.send('update', 'login/carol', { password: carol.password }));

    assert.deepEqual(auth.policies, ['dev-policy', 'eng-policy', 'staff-policy']);
  });

  test('upndomain with service account', async () => {
    const harness = await configured({
      url: directory.url,
      binddn: DIRECTORY.readerDn,
      bindpass: DIRECTORY.readerPassword,
      userdn: DIRECTORY.peopleDn,
      upndomain: DIRECTORY.upnDomain,
      groupdn: DIRECTORY.groupsDn,
    });

    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }));

    assert.deepEqual(auth.policies, ['admin-policy']);
    assert.deepEqual(auth.alias, { name: 'alice', metadata: { name: 'alice' } });
    await assertRejects(harness.send('update', 'login/alice', { password: bob.password }), 400, BIND_FAILED);
  });

  test('upndomain direct bind', async () => {
    // Without a service account the user binds as alice@example.com. That
    // name is not a DN, which OpenLDAP refuses (Active Directory accepts
    // it), so the login fails the way a wrong password does.
    const harness = await configured({ url: directory.url, upndomain: DIRECTORY.upnDomain, userdn: DIRECTORY.peopleDn });

    await assertRejects(harness.send('update', 'login/alice', { password: alice.password }), 400, BIND_FAILED);
  });

  test('username trimmed and lowercased', async () => {
    const harness = await configured(directConfig(directory));

    const auth = authOf(await harness.send('update', 'login/ Alice ', { password: alice.password }));

    assert.deepEqual(auth.metadata, { username: 'alice' });
    assert.deepEqual(auth.alias, { name: 'alice', metadata: { name: 'alice' } });
  });

  test('alias from userattr or username', async () => {
    const config = directConfig(directory, { case_sensitive_names: true });
    const harness = await configured(config);

    const fromAttribute = authOf(await harness.send('update', 'login/ALICE', { password: alice.password }));
    await harness.send('update', 'config', { username_as_alias: true });
    const fromUsername = authOf(await harness.send('update', 'login/ALICE', { password: alice.password }));

    assert.deepEqual(fromAttribute.alias, { name: 'alice', metadata: { name: 'ALICE' } });
    assert.deepEqual(fromUsername.alias, { name: 'ALICE', metadata: { name: 'ALICE' } });
  });

  test('missing alias attribute', async () => {
    const harness = await configured({
      url: directory.url,
      binddn: DIRECTORY.readerDn,
      bindpass: DIRECTORY.readerPassword,
      userdn: DIRECTORY.peopleDn,
      userattr: 'mail',
      userfilter: '(uid={{.Username}})',
    });

    await assertRejects(
      harness.send('update', 'login/alice', { password: alice.password }),
      400,
      'missing entity alias attribute value: the user entry has no "mail"; set "userattr" to an attribute it has, or set "username_as_alias"',
    );
  });

  test('next url after refused one', async () => {
    const harness = await configured(directConfig(directory, { url: `ldap://127.0.0.1:${await freePort()},${directory.url}` }));

    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }));

    assert.deepEqual(auth.policies, ['admin-policy']);
  });

  test('no server reachable', async () => {
    const url = `ldap://127.0.0.1:${await freePort()},ldap://localhost:${await freePort()}`;
    const harness = await configured(directConfig(directory, { url }));

    await assertRejects(
      harness.send('update', 'login/alice', { password: alice.password }),
      400,
      'ldap operation failed: failed to connect to LDAP server: url 1 of 2: connection refused; url 2 of 2: connection refused',
    );
    // An unreachable directory does not count toward user lockout.
    await assert.rejects(harness.send('update', 'login/alice', { password: alice.password }), { code: 'COFFER_ERR_INVALID_REQUEST' });
  });

  test('token_bound_cidrs checked at login', async () => {
    const harness = await configured(directConfig(directory, { token_bound_cidrs: '10.0.0.0/8' }));

    await assertRejects(harness.send('update', 'login/alice', { password: alice.password }, '127.0.0.1'), 403, 'permission denied');
    const auth = authOf(await harness.send('update', 'login/alice', { password: alice.password }, '10.1.2.3'));
    assert.deepEqual(auth.boundCidrs, ['10.0.0.0/8']);
  });
});
