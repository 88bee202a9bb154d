import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { StorageView, WriteAheadLog } from '@coffer/sdk';
import {
  assertRejectedUnchanged,
  createHarness,
  dataOf,
  leaseOf,
  MARIADB_CONFIG,
  MARIADB_CREATE,
  mariadbLogin,
  mariadbQuery,
  POSTGRES_CONFIG,
  POSTGRES_CREATE,
  postgresPasswordMatches,
  postgresQuery,
  write,
} from './test-support.js';

/** Reads the stored root password, which no API returns. */
async function storedRootPassword(harness: ReturnType<typeof createHarness>, name: string): Promise<string> {
  const entry = await harness.storage.get(`logical/db/config/${name}`);
  return JSON.parse(entry!.value.toString('utf8')).connectionDetails.password;
}

describe('rotate-root with postgresql', () => {
  const admin = `t${randomBytes(4).toString('hex')}-admin`;
  const harness = createHarness();
  const created: string[] = [];
  before(async () => {
    await postgresQuery(`CREATE ROLE "${admin}" LOGIN CREATEROLE PASSWORD 'admin-initial'`);
    await write(harness, 'config/pg', { ...POSTGRES_CONFIG, username: admin, password: 'admin-initial', allowed_roles: '*' });
    // The default revocation reassigns owned objects, which needs superuser; a plain CREATEROLE admin only drops.
    await write(harness, 'roles/reader', { db_name: 'pg', creation_statements: POSTGRES_CREATE, revocation_statements: 'DROP ROLE IF EXISTS "{{name}}";' });
  });
  after(async () => {
    for (const name of created) await postgresQuery(`DROP ROLE IF EXISTS "${name}"`);
    await harness.backend.cleanup();
    await postgresQuery(`DROP ROLE IF EXISTS "${admin}"`);
  });

  test('root password changes and creds still work', async () => {
    assert.equal(await harness.send('update', 'rotate-root/pg'), null);
    const rotated = await storedRootPassword(harness, 'pg');
    assert.notEqual(rotated, 'admin-initial');
    assert.equal(rotated.length, 20);
    assert.equal(await postgresPasswordMatches(admin, rotated), true);
    assert.equal(dataOf(await harness.send('read', 'config/pg')).connection_details instanceof Object, true);

    const response = await harness.send('read', 'creds/reader');
    const { username } = dataOf(response) as { username: string };
    created.push(username);
    assert.equal(await harness.send('revoke', 'creds/reader', { username }, leaseOf(response)), null);
    assert.deepEqual(await postgresQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]), []);
  });

  test('periodic pass keeps a root password the database took', async () => {
    const current = await storedRootPassword(harness, 'pg');
    await postgresQuery(`ALTER ROLE "${admin}" PASSWORD 'Taken-by-database-1'`);
    const wal = new WriteAheadLog(new StorageView(harness.storage, 'logical/db/'));
    await wal.put('root-rotation', { name: 'pg', password: 'Taken-by-database-1' }, Date.now() - 3600_000);
    await harness.backend.periodic();
    assert.equal(await storedRootPassword(harness, 'pg'), 'Taken-by-database-1');
    assert.notEqual(current, 'Taken-by-database-1');
    assert.deepEqual(await wal.list(), []);
  });

  test('connection without username is rejected', async () => {
    await write(harness, 'config/nouser', { ...POSTGRES_CONFIG, connection_url: POSTGRES_CONFIG.connection_url.replace('{{username}}:{{password}}', 'postgres'), username: '' });
    await assertRejectedUnchanged(harness, () => harness.send('update', 'rotate-root/nouser'), 'unable to rotate root credentials: connection "nouser" has no "username" setting');
  });
});

describe('rotate-root with mariadb', () => {
  const admin = `t${randomBytes(4).toString('hex')}`;
  const harness = createHarness();
  const created: string[] = [];
  before(async () => {
    await mariadbQuery(`CREATE USER '${admin}'@'%' IDENTIFIED BY 'admin-initial'`);
    await mariadbQuery(`GRANT ALL PRIVILEGES ON *.* TO '${admin}'@'%' WITH GRANT OPTION`);
    await write(harness, 'config/maria', { ...MARIADB_CONFIG, username: admin, password: 'admin-initial', allowed_roles: '*' });
    await write(harness, 'roles/app', { db_name: 'maria', creation_statements: MARIADB_CREATE });
  });
  after(async () => {
    for (const name of created) await mariadbQuery(`DROP USER IF EXISTS '${name}'@'%'`);
    await harness.backend.cleanup();
    await mariadbQuery(`DROP USER IF EXISTS '${admin}'@'%'`);
  });

  test('root password changes and creds still work', async () => {
    await harness.send('update', 'rotate-root/maria');
    const rotated = await storedRootPassword(harness, 'maria');
    await assert.rejects(mariadbLogin(admin, 'admin-initial'), /Access denied/);
    assert.equal(await mariadbLogin(admin, rotated), `${admin}@%`);

    const response = await harness.send('read', 'creds/app');
    const { username, password } = dataOf(response) as { username: string; password: string };
    created.push(username);
    assert.equal(await mariadbLogin(username, password), `${username}@%`);
    await harness.send('revoke', 'creds/app', { username }, leaseOf(response));
  });

  test('concurrent rotations keep the stored password', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => harness.send('update', 'rotate-root/maria')));
    assert.deepEqual(
      results.map((result) => (result.status === 'rejected' ? (result.reason as Error).message : result.status)),
      Array.from({ length: 6 }, () => 'fulfilled'),
    );

    const stored = await storedRootPassword(harness, 'maria');
    assert.equal(await mariadbLogin(admin, stored), `${admin}@%`, 'the database has the stored password');
  });
});
