import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageView, WriteAheadLog } from '@coffer/sdk';
import { Attribute, Change } from 'ldapts';
import { after, before, describe, test } from 'node:test';
import {
  addPerson,
  asRoot,
  assertRejectedUnchanged,
  binds,
  createHarness,
  dataOf,
  DIRECTORY,
  managerConfig,
  slapdSkipReason,
  startTestDirectory,
  uniqueName,
  type Harness,
  type TestDirectory,
} from './test-support.js';

/** Seconds until a role's next rotation, from static-cred. */
async function ttlOf(harness: Harness, role: string): Promise<number> {
  return dataOf(await harness.send('read', `static-cred/${role}`)).ttl as number;
}

/** Waits until the role's rotation is due, with a second of slack for the clock. */
async function waitUntilDue(harness: Harness, role: string): Promise<void> {
  await sleep((await ttlOf(harness, role)) * 1000 + 1000);
}

describe('static roles', { skip: slapdSkipReason() ?? false }, () => {
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

  test('creation rotates the password', async () => {
    const harness = await configured();
    const name = uniqueName('svc');
    const dn = await addPerson(directory, name, 'initial-pass-1');

    await harness.send('update', 'static-role/app', { username: name, dn, rotation_period: '1h' });

    const creds = dataOf(await harness.send('read', 'static-cred/app'));
    assert.equal(creds.username, name);
    assert.equal(creds.dn, dn);
    assert.equal(creds.rotation_period, 3600);
    assert.equal(creds.last_password, '');
    assert.equal(typeof creds.last_vault_rotation, 'string');
    assert.ok((creds.ttl as number) > 3590, `ttl ${String(creds.ttl)}`);
    assert.ok((creds.ttl as number) <= 3600, `ttl ${String(creds.ttl)}`);
    assert.equal((creds.password as string).length, 64);
    assert.equal(await binds(directory, dn, creds.password as string), true);
    assert.equal(await binds(directory, dn, 'initial-pass-1'), false);
    assert.deepEqual(dataOf(await harness.send('read', 'static-role/app')), {
      username: name,
      dn,
      rotation_period: 3600,
      last_vault_rotation: creds.last_vault_rotation,
    });
  });

  test('dn found by username search', async () => {
    const harness = await configured();
    const name = uniqueName('svc');
    const dn = await addPerson(directory, name, 'initial-pass-1');

    await harness.send('update', 'static-role/found', { username: name, rotation_period: 60 });

    const creds = dataOf(await harness.send('read', 'static-cred/found'));
    assert.equal(creds.dn, dn);
    assert.equal(await binds(directory, dn, creds.password as string), true);
  });

  test('rotate-role replaces the password', async () => {
    const harness = await configured();
    const name = uniqueName('svc');
    const dn = await addPerson(directory, name, 'initial-pass-1');
    await harness.send('update', 'static-role/app', { username: name, dn, rotation_period: 3600 });
    const before = dataOf(await harness.send('read', 'static-cred/app')).password as string;

    await harness.send('update', 'rotate-role/app');

    const creds = dataOf(await harness.send('read', 'static-cred/app'));
    assert.notEqual(creds.password, before);
    assert.equal(creds.last_password, before);
    assert.equal(await binds(directory, dn, creds.password as string), true);
    assert.equal(await binds(directory, dn, before), false);
  });

  test('skip_import_rotation keeps the password', async () => {
    const harness = await configured();
    const name = uniqueName('svc');
    const dn = await addPerson(directory, name, 'initial-pass-1');

    await harness.send('update', 'static-role/kept', { username: name, dn, rotation_period: 3600, skip_import_rotation: true });

    const creds = dataOf(await harness.send('read', 'static-cred/kept'));
    assert.equal(creds.password, '');
    assert.equal(creds.last_vault_rotation, undefined);
    assert.equal(await binds(directory, dn, 'initial-pass-1'), true);
  });

  test('periodic pass skips roles not due', async () => {
    const harness = await configured();
    const name = uniqueName('svc');
    const dn = await addPerson(directory, name, 'initial-pass-1');
    await harness.send('update', 'static-role/app', { username: name, dn, rotation_period: 3600 });
    const before = dataOf(await harness.send('read', 'static-cred/app')).password;

    await harness.backend.periodic();

    assert.equal(dataOf(await harness.send('read', 'static-cred/app')).password, before);
  });

  test('schedule rotates after a restart', { timeout: 60_000 }, async () => {
    const harness = await configured();
    const name = uniqueName('svc');
    const dn = await addPerson(directory, name, 'initial-pass-1');
    await harness.send('update', 'static-role/app', { username: name, dn, rotation_period: 5 });
    const before = dataOf(await harness.send('read', 'static-cred/app')).password as string;

    const restarted = harness.restart();
    await waitUntilDue(restarted, 'app');
    await restarted.backend.periodic();

    const creds = dataOf(await restarted.send('read', 'static-cred/app'));
    assert.notEqual(creds.password, before);
    assert.equal(creds.last_password, before);
    assert.equal(await binds(directory, dn, creds.password as string), true);
    assert.equal(await binds(directory, dn, before), false);
  });

  test('failed scheduled rotation is retried', { timeout: 60_000 }, async () => {
    const harness = await configured();
    const name = uniqueName('svc');
    const dn = await addPerson(directory, name, 'initial-pass-1');
    await harness.send('update', 'static-role/app', { username: name, dn, rotation_period: 5 });
    const before = dataOf(await harness.send('read', 'static-cred/app')).password as string;
    await asRoot(directory, (client) => client.del(dn));

    await waitUntilDue(harness, 'app');
    await harness.backend.periodic();

    assert.equal(dataOf(await harness.send('read', 'static-cred/app')).password, before);
    assert.deepEqual(await harness.storage.list('logical/ldap/wal/'), []);
    await addPerson(directory, name, 'recreated-pass-1');
    await harness.backend.periodic();

    const creds = dataOf(await harness.send('read', 'static-cred/app'));
    assert.notEqual(creds.password, before);
    assert.equal(await binds(directory, dn, creds.password as string), true);
  });

  test('periodic pass finishes an interrupted rotation', async () => {
    const harness = await configured();
    const name = uniqueName('svc');
    const dn = await addPerson(directory, name, 'initial-pass-1');
    // Without an import rotation the role's last rotation is older than the record below.
    await harness.send('update', 'static-role/app', { username: name, dn, rotation_period: 3600, skip_import_rotation: true });
    // As if the server stopped after setting the password in the directory but before storing it.
    const wal = new WriteAheadLog(new StorageView(harness.storage, 'logical/ldap/'));
    await wal.put('static-rotation', { name: 'app', dn, password: 'interrupted-pass-1' }, Date.now() - 120_000);
    await asRoot(directory, (client) => client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: ['interrupted-pass-1'] }) })));

    await harness.backend.periodic();

    const creds = dataOf(await harness.send('read', 'static-cred/app'));
    assert.equal(creds.password, 'interrupted-pass-1');
    assert.equal(typeof creds.last_vault_rotation, 'string');
    assert.deepEqual(await wal.list(), []);
  });

  test('update changes the rotation period', async () => {
    const harness = await configured();
    const name = uniqueName('svc');
    const dn = await addPerson(directory, name, 'initial-pass-1');
    await harness.send('update', 'static-role/app', { username: name, dn, rotation_period: 3600 });
    const before = dataOf(await harness.send('read', 'static-cred/app')).password;

    await harness.send('update', 'static-role/app', { rotation_period: '2h' });

    const creds = dataOf(await harness.send('read', 'static-cred/app'));
    assert.equal(creds.rotation_period, 7200);
    assert.equal(creds.password, before);
  });

  test('list and delete', async () => {
    const harness = await configured();
    const name = uniqueName('svc');
    const dn = await addPerson(directory, name, 'initial-pass-1');
    await harness.send('update', 'static-role/one', { username: name, dn, rotation_period: 3600 });
    const password = dataOf(await harness.send('read', 'static-cred/one')).password as string;

    assert.deepEqual(dataOf(await harness.send('list', 'static-role/')).keys, ['one']);
    await harness.send('delete', 'static-role/one');

    assert.equal(await harness.send('list', 'static-role/'), null);
    assert.equal(await binds(directory, dn, password), true);
  });

  test('invalid writes are rejected', async () => {
    const harness = await configured();
    const name = uniqueName('svc');
    const dn = await addPerson(directory, name, 'initial-pass-1');
    await harness.send('update', 'static-role/app', { username: name, dn, rotation_period: 3600 });
    const cases: [string, Record<string, unknown>, string][] = [
      ['new', { dn, rotation_period: 60 }, 'missing required field "username"'],
      ['new', { username: name, dn }, 'missing required field "rotation_period"'],
      ['new', { username: name, dn, rotation_period: 4 }, 'invalid field "rotation_period": 4 s is shorter than the minimum of 5 s'],
      ['new', { username: 'nobody-here', rotation_period: 60 }, `invalid field "username": no entry under "${DIRECTORY.peopleDn}" has cn=nobody-here`],
      ['app', { username: 'other' }, `invalid field "username": cannot change the account of static role "app" from "${name}"; delete the role and create it again`],
      ['app', { dn: DIRECTORY.users.alice.dn }, `invalid field "dn": cannot change the DN of static role "app" from "${dn}"; delete the role and create it again`],
    ];

    for (const [role, data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', `static-role/${role}`, data), message);
    }
  });

  test('missing entry rejects creation', async () => {
    const harness = await configured();
    const dn = `cn=${uniqueName('ghost')},${DIRECTORY.peopleDn}`;

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'static-role/ghost', { username: 'ghost', dn, rotation_period: 60 }),
      'no such object (LDAP result 32)',
      500,
    );
  });

  test('unknown role reads and rotations', async () => {
    const harness = await configured();

    assert.equal(await harness.send('read', 'static-role/none'), null);
    await assertRejectedUnchanged(harness, () => harness.send('read', 'static-cred/none'), 'unknown static role: none');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'rotate-role/none'), 'unknown static role: none');
  });
});
