import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { StorageView, WriteAheadLog } from '@coffer/sdk';
import {
  assertRejectedUnchanged,
  createHarness,
  dataOf,
  MARIADB_CONFIG,
  mariadbLogin,
  mariadbQuery,
  POSTGRES_CONFIG,
  postgresPasswordMatches,
  postgresQuery,
  write,
} from './test-support.js';

describe('static roles with postgresql', () => {
  const account = `t${randomBytes(4).toString('hex')}-static`;
  const harness = createHarness();
  before(async () => {
    await postgresQuery(`CREATE ROLE "${account}" LOGIN PASSWORD 'initial-password'`);
    await write(harness, 'config/pg', { ...POSTGRES_CONFIG, allowed_roles: 'app,copy' });
  });
  after(async () => {
    await postgresQuery(`DROP ROLE IF EXISTS "${account}"`);
    await harness.backend.cleanup();
  });

  test('create rotates the password at once', async () => {
    assert.equal(await write(harness, 'static-roles/app', { db_name: 'pg', username: account, rotation_period: '1h' }), null);
    const creds = dataOf(await harness.send('read', 'static-creds/app'));
    assert.equal(creds.username, account);
    assert.equal(creds.rotation_period, 3600);
    assert.ok((creds.ttl as number) > 3590, `ttl ${String(creds.ttl)}`);
    assert.ok((creds.ttl as number) <= 3600, `ttl ${String(creds.ttl)}`);
    assert.equal(await postgresPasswordMatches(account, 'initial-password'), false);
    assert.equal(await postgresPasswordMatches(account, creds.password as string), true);

    const read = dataOf(await harness.send('read', 'static-roles/app'));
    assert.deepEqual({ ...read, last_vault_rotation: undefined }, {
      db_name: 'pg',
      username: account,
      rotation_period: 3600,
      rotation_statements: [],
      last_vault_rotation: undefined,
      credential_type: 'password',
    });
    assert.equal(read.last_vault_rotation, creds.last_vault_rotation);
    assert.deepEqual(dataOf(await harness.send('list', 'static-roles/')), { keys: ['app'] });
  });

  test('rotate-role changes the password', async () => {
    const before = dataOf(await harness.send('read', 'static-creds/app')).password as string;
    assert.equal(await harness.send('update', 'rotate-role/app'), null);
    const after = dataOf(await harness.send('read', 'static-creds/app')).password as string;
    assert.notEqual(after, before);
    assert.equal(await postgresPasswordMatches(account, after), true);
  });

  test('update during a rotation is kept', async () => {
    // The rotation reads the role, then waits on the database; the update
    // lands meanwhile and must not be overwritten by the rotation's write.
    const results = await Promise.all([
      harness.send('update', 'rotate-role/app'),
      write(harness, 'static-roles/app', { rotation_period: '2h' }),
      harness.send('update', 'rotate-role/app'),
    ]);

    assert.deepEqual(results, [null, null, null]);
    assert.equal(dataOf(await harness.send('read', 'static-roles/app')).rotation_period, 7200);
    const creds = dataOf(await harness.send('read', 'static-creds/app'));
    assert.equal(await postgresPasswordMatches(account, creds.password as string), true);
    // The next tests expect the one-hour period.
    assert.equal(await write(harness, 'static-roles/app', { rotation_period: '1h' }), null);
  });

  test('periodic pass rotates a due role', async () => {
    const key = 'logical/db/static-role/app';
    const stored = JSON.parse((await harness.storage.get(key))!.value.toString('utf8'));
    await harness.storage.put({ key, value: Buffer.from(JSON.stringify({ ...stored, lastRotation: Date.now() - 3601_000 })) });
    await harness.backend.periodic();
    const after = dataOf(await harness.send('read', 'static-creds/app')).password as string;
    assert.notEqual(after, stored.password);
    assert.equal(await postgresPasswordMatches(account, after), true);
  });

  test('periodic pass finishes an interrupted rotation', async () => {
    const key = 'logical/db/static-role/app';
    const stored = { ...JSON.parse((await harness.storage.get(key))!.value.toString('utf8')), lastRotation: Date.now() - 7200_000 };
    await harness.storage.put({ key, value: Buffer.from(JSON.stringify(stored)) });
    const wal = new WriteAheadLog(new StorageView(harness.storage, 'logical/db/'));
    // As if the server died after recording the new password, before or after setting it.
    await wal.put('static-rotation', { name: 'app', role: { ...stored, password: 'Recorded-password-1' } }, Date.now() - 3600_000);
    await harness.backend.periodic();
    assert.equal(dataOf(await harness.send('read', 'static-creds/app')).password, 'Recorded-password-1');
    assert.equal(await postgresPasswordMatches(account, 'Recorded-password-1'), true);
    assert.deepEqual(await wal.list(), []);
  });

  test('static-creds checks allowed_roles', async () => {
    await write(harness, 'config/pg', { allowed_roles: 'copy' });
    await assertRejectedUnchanged(harness, () => harness.send('read', 'static-creds/app'), '"app" is not an allowed role of connection "pg"');
    await write(harness, 'config/pg', { allowed_roles: 'app,copy' });
    assert.equal(dataOf(await harness.send('read', 'static-creds/app')).username, account);
  });

  test('username cannot change', async () => {
    await assertRejectedUnchanged(
      harness,
      () => write(harness, 'static-roles/app', { username: 'someone-else' }),
      `invalid field "username": cannot change the account of static role "app" from "${account}"; delete the role and create it again`,
    );
  });

  test('account of another role is rejected', async () => {
    await assertRejectedUnchanged(
      harness,
      () => write(harness, 'static-roles/copy', { db_name: 'pg', username: account, rotation_period: 60 }),
      `invalid field "username": account "${account}" is already managed by static role "app"`,
    );
  });

  test('short rotation_period is rejected', async () => {
    await assertRejectedUnchanged(
      harness,
      () => write(harness, 'static-roles/copy', { db_name: 'pg', username: 'x', rotation_period: 2 }),
      'invalid field "rotation_period": 2 s is shorter than the minimum of 5 s',
    );
  });

  test('missing username is rejected', async () => {
    await assertRejectedUnchanged(harness, () => write(harness, 'static-roles/copy', { db_name: 'pg', rotation_period: 60 }), 'missing required field "username"');
  });

  test('delete keeps the account', async () => {
    assert.equal(await harness.send('delete', 'static-roles/app'), null);
    await assertRejectedUnchanged(harness, () => harness.send('read', 'static-creds/app'), 'unknown role: app');
    assert.equal((await postgresQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [account])).length, 1);
  });
});

describe('static roles with mariadb', () => {
  const account = `t${randomBytes(4).toString('hex')}`;
  const harness = createHarness();
  before(async () => {
    await mariadbQuery(`CREATE USER '${account}'@'%' IDENTIFIED BY 'initial-password'`);
    await mariadbQuery(`GRANT SELECT ON test.* TO '${account}'@'%'`);
    await write(harness, 'config/maria', { ...MARIADB_CONFIG, allowed_roles: '*' });
  });
  after(async () => {
    await mariadbQuery(`DROP USER IF EXISTS '${account}'@'%'`);
    await harness.backend.cleanup();
  });

  test('rotation changes the login password', async () => {
    assert.equal(await mariadbLogin(account, 'initial-password'), `${account}@%`);
    await write(harness, 'static-roles/app', { db_name: 'maria', username: account, rotation_period: '24h' });
    const first = dataOf(await harness.send('read', 'static-creds/app')).password as string;
    await assert.rejects(mariadbLogin(account, 'initial-password'), /Access denied/);
    assert.equal(await mariadbLogin(account, first), `${account}@%`);

    await harness.send('update', 'rotate-role/app');
    const second = dataOf(await harness.send('read', 'static-creds/app')).password as string;
    await assert.rejects(mariadbLogin(account, first), /Access denied/);
    assert.equal(await mariadbLogin(account, second), `${account}@%`);
  });
});
