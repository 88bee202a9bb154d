import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WriteAheadLog, StorageView } from '@coffer/sdk';
import {
  addPerson,
  assertRejectedUnchanged,
  binds,
  createHarness,
  dataOf,
  DEFAULT_LEASE_TTL,
  DIRECTORY,
  leaseOf,
  managerConfig,
  readEntry,
  slapdSkipReason,
  startTestDirectory,
  uniqueName,
  type Harness,
  type TestDirectory,
} from './test-support.js';

const GROUP_DN = `cn=developers,${DIRECTORY.groupsDn}`;

const CREATION_LDIF = `dn: cn={{.Username}},${DIRECTORY.peopleDn}
objectClass: inetOrgPerson
cn: {{.Username}}
sn: {{.RoleName}}
description: issued to {{.DisplayName}} at {{.IssueTimeSeconds}}, expires {{.ExpirationTime}}
userPassword: {{.Password}}

dn: ${GROUP_DN}
changetype: modify
add: member
member: cn={{.Username}},${DIRECTORY.peopleDn}
-
`;

const DELETION_LDIF = `dn: ${GROUP_DN}
changetype: modify
delete: member
member: cn={{.Username}},${DIRECTORY.peopleDn}
-

dn: cn={{.Username}},${DIRECTORY.peopleDn}
changetype: delete
`;

const ROLLBACK_LDIF = `dn: cn={{.Username}},${DIRECTORY.peopleDn}
changetype: delete
`;

describe('dynamic roles', { skip: slapdSkipReason() ?? false }, () => {
  let directory: TestDirectory;

  before(async () => {
    directory = await startTestDirectory();
  });

  after(async () => {
    await directory?.stop();
  });

  async function configured(): Promise<Harness> {
    const harness = createHarness();
    await harness.send('update', 'config', managerConfig(directory));
    return harness;
  }

  async function members(): Promise<string[]> {
    const group = await readEntry(directory, GROUP_DN);
    const member = group?.member;
    return Array.isArray(member) ? (member as string[]) : [member as string];
  }

  test('creds create an account that binds', async () => {
    const harness = await configured();
    await harness.send('update', 'role/dev', { creation_ldif: CREATION_LDIF, deletion_ldif: DELETION_LDIF, rollback_ldif: ROLLBACK_LDIF, default_ttl: '10m', max_ttl: '1h' });

    const response = await harness.send('read', 'creds/dev');

    const data = dataOf(response);
    const username = data.username as string;
    const dn = `cn=${username},${DIRECTORY.peopleDn}`;
    assert.match(username, /^v_token_dev_[A-Za-z0-9]{10}_\d+$/);
    assert.deepEqual(data.distinguished_names, [dn, GROUP_DN]);
    assert.equal((data.password as string).length, 64);
    assert.equal(response!.secret!.ttl, 600);
    assert.equal(response!.secret!.maxTtl, 3600);
    assert.equal(response!.secret!.renewable, true);
    assert.equal(await binds(directory, dn, data.password as string), true);
    assert.ok((await members()).includes(dn));
    assert.match(String((await readEntry(directory, dn))!.description), /^issued to token at \d+, expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('revoke runs the deletion LDIF', async () => {
    const harness = await configured();
    await harness.send('update', 'role/dev', { creation_ldif: CREATION_LDIF, deletion_ldif: DELETION_LDIF });
    const response = await harness.send('read', 'creds/dev');
    const dn = `cn=${dataOf(response).username as string},${DIRECTORY.peopleDn}`;
    // Revocation uses the LDIF rendered at issue, so it works after the role is gone.
    await harness.send('delete', 'role/dev');

    await harness.send('revoke', 'creds/dev', {}, leaseOf(response));

    assert.equal(await readEntry(directory, dn), null);
    assert.ok(!(await members()).includes(dn));
  });

  test('renew stays within max_ttl', async () => {
    const harness = await configured();
    await harness.send('update', 'role/dev', { creation_ldif: CREATION_LDIF, deletion_ldif: DELETION_LDIF, default_ttl: 600, max_ttl: 1000 });
    const response = await harness.send('read', 'creds/dev');

    const renewed = await harness.send('renew', 'creds/dev', {}, leaseOf(response, { issuedSecondsAgo: 500 }));

    assert.equal(renewed!.secret!.ttl, 500);
    await assertRejectedUnchanged(harness, () => harness.send('renew', 'creds/dev', {}, leaseOf(response, { issuedSecondsAgo: 1000 })), 'past the max TTL, cannot renew');
  });

  test('failed creation runs the rollback LDIF', async () => {
    const harness = await configured();
    const failing = CREATION_LDIF.replace(`dn: ${GROUP_DN}`, `dn: cn=missing,${DIRECTORY.groupsDn}`);
    await harness.send('update', 'role/broken', { creation_ldif: failing, deletion_ldif: DELETION_LDIF, rollback_ldif: ROLLBACK_LDIF, username_template: 'rolled_{{.RoleName}}' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('read', 'creds/broken'),
      `failed to create the account: creation_ldif line 8 (modify "cn=missing,${DIRECTORY.groupsDn}"): no such object (LDAP result 32)`,
      500,
    );

    assert.equal(await readEntry(directory, `cn=rolled_broken,${DIRECTORY.peopleDn}`), null);
  });

  test('failed creation without rollback keeps the entry', async () => {
    const harness = await configured();
    const failing = CREATION_LDIF.replace(`dn: ${GROUP_DN}`, `dn: cn=missing,${DIRECTORY.groupsDn}`);
    await harness.send('update', 'role/broken', { creation_ldif: failing, deletion_ldif: DELETION_LDIF, username_template: 'kept_{{.RoleName}}' });

    await assert.rejects(harness.send('read', 'creds/broken'));

    assert.notEqual(await readEntry(directory, `cn=kept_broken,${DIRECTORY.peopleDn}`), null);
  });

  test('periodic pass removes an unfinished account', async () => {
    const harness = await configured();
    const name = uniqueName('orphan');
    const dn = await addPerson(directory, name, 'orphan-pass-1');
    const wal = new WriteAheadLog(new StorageView(harness.storage, 'logical/ldap/'));
    await wal.put('dynamic-account', { role: 'dev', cleanupLdif: `dn: ${dn}\nchangetype: delete\n` }, Date.now() - 120_000);

    await harness.backend.periodic();

    assert.equal(await readEntry(directory, dn), null);
    assert.deepEqual(await wal.list(), []);
  });

  test('base64 LDIF is decoded', async () => {
    const harness = await configured();

    await harness.send('update', 'role/b64', {
      creation_ldif: Buffer.from(CREATION_LDIF).toString('base64'),
      deletion_ldif: Buffer.from(DELETION_LDIF).toString('base64'),
    });

    const data = dataOf(await harness.send('read', 'role/b64'));
    assert.deepEqual(data, {
      creation_ldif: CREATION_LDIF,
      deletion_ldif: DELETION_LDIF,
      rollback_ldif: '',
      username_template: '',
      default_ttl: 0,
      max_ttl: 0,
    });
    const creds = dataOf(await harness.send('read', 'creds/b64'));
    assert.equal(await binds(directory, `cn=${creds.username as string},${DIRECTORY.peopleDn}`, creds.password as string), true);
  });

  test('lease TTL defaults to the mount', async () => {
    const harness = await configured();
    await harness.send('update', 'role/dev', { creation_ldif: CREATION_LDIF, deletion_ldif: DELETION_LDIF });

    const response = await harness.send('read', 'creds/dev');

    assert.equal(response!.secret!.ttl, DEFAULT_LEASE_TTL);
  });

  test('update keeps unset fields', async () => {
    const harness = await configured();
    await harness.send('update', 'role/dev', { creation_ldif: CREATION_LDIF, deletion_ldif: DELETION_LDIF, default_ttl: 60 });

    await harness.send('update', 'role/dev', { max_ttl: 120 });

    const data = dataOf(await harness.send('read', 'role/dev'));
    assert.equal(data.creation_ldif, CREATION_LDIF);
    assert.equal(data.default_ttl, 60);
    assert.equal(data.max_ttl, 120);
  });

  test('list and delete roles', async () => {
    const harness = await configured();
    await harness.send('update', 'role/a', { creation_ldif: CREATION_LDIF, deletion_ldif: DELETION_LDIF });
    await harness.send('update', 'role/b', { creation_ldif: CREATION_LDIF, deletion_ldif: DELETION_LDIF });

    assert.deepEqual(dataOf(await harness.send('list', 'role/')).keys, ['a', 'b']);
    await harness.send('delete', 'role/a');

    assert.deepEqual(dataOf(await harness.send('list', 'role/')).keys, ['b']);
    assert.equal(await harness.send('read', 'role/a'), null);
  });

  test('invalid roles are rejected', async () => {
    const harness = await configured();
    const ok = { creation_ldif: CREATION_LDIF, deletion_ldif: DELETION_LDIF };
    const cases: [Record<string, unknown>, string][] = [
      [{ deletion_ldif: DELETION_LDIF }, 'missing required field "creation_ldif"'],
      [{ creation_ldif: CREATION_LDIF }, 'missing required field "deletion_ldif"'],
      [{ ...ok, creation_ldif: 'dn: cn={{.Username}},dc=example,dc=com\nchangetype: moddn\nnewrdn: cn=x\n' }, 'invalid field "creation_ldif": line 2: changetype "moddn" is not supported; use add, modify or delete'],
      [{ ...ok, deletion_ldif: 'cn: {{.Username}}\n' }, 'invalid field "deletion_ldif": line 1: a record must start with "dn:", got "cn:"'],
      [{ ...ok, rollback_ldif: 'dn: cn=x,dc=example,dc=com\nchangetype: modify\nadd: member\nmember: y\n' }, 'invalid field "rollback_ldif": line 4: the "add: member" change must end with a "-" line'],
      [{ ...ok, creation_ldif: 'dn: cn={{.Username | lowercase}},dc=example,dc=com\ncn: x\n' }, 'invalid field "creation_ldif": unsupported action "{{.Username | lowercase}}" at line 1; use one of {{.Username}}, {{.Password}}, {{.DisplayName}}, {{.RoleName}}, {{.IssueTime}}, {{.IssueTimeSeconds}}, {{.ExpirationTime}}, {{.ExpirationTimeSeconds}}'],
      [{ ...ok, username_template: '{{nosuch}}' }, 'invalid field "username_template": unknown function "nosuch"'],
      [{ ...ok, default_ttl: 120, max_ttl: 60 }, 'invalid field "default_ttl": 120 s is greater than "max_ttl" of 60 s'],
      [{ ...ok, max_ttl: '3h' }, 'invalid field "max_ttl": 10800 s is greater than the mount\'s max lease TTL of 7200 s'],
    ];

    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'role/bad', data), message);
    }
  });

  test('creds of unknown role', async () => {
    const harness = await configured();

    await assertRejectedUnchanged(harness, () => harness.send('read', 'creds/none'), 'unknown dynamic role: none');
  });
});
