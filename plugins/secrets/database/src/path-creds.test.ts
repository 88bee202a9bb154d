import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WriteAheadLog, StorageView } from '@coffer/sdk';
import {
  assertRejectedUnchanged,
  createHarness,
  dataOf,
  DEFAULT_LEASE_TTL,
  MAX_LEASE_TTL,
  leaseOf,
  MARIADB_CONFIG,
  MARIADB_CREATE,
  mariadbLogin,
  mariadbQuery,
  POSTGRES_CONFIG,
  POSTGRES_CREATE,
  postgresLogin,
  postgresPasswordMatches,
  postgresQuery,
  redisLogin,
  write,
} from './test-support.js';

/** Seconds from now until a PostgreSQL role's VALID UNTIL. */
async function validForSeconds(role: string): Promise<number> {
  const rows = await postgresQuery<{ until: Date }>('SELECT rolvaliduntil AS until FROM pg_roles WHERE rolname = $1', [role]);
  return Math.round((rows[0].until.getTime() - Date.now()) / 1000);
}

describe('creds with postgresql', () => {
  const prefix = `t${randomBytes(3).toString('hex')}`;
  const harness = createHarness(prefix);
  const created: string[] = [];
  before(async () => {
    await write(harness, 'config/pg', { ...POSTGRES_CONFIG, allowed_roles: 'reader' });
    await write(harness, 'roles/reader', { db_name: 'pg', creation_statements: POSTGRES_CREATE, default_ttl: '10m', max_ttl: '1h' });
  });
  after(async () => {
    for (const name of created) await postgresQuery(`DROP ROLE IF EXISTS "${name}"`);
    await harness.backend.cleanup();
  });

  test('issue, login, renew, revoke', async () => {
    const response = await harness.send('read', 'creds/reader');
    const { username, password } = dataOf(response) as { username: string; password: string };
    created.push(username);
    assert.match(username, new RegExp(`^v-${prefix}-reader-[A-Za-z0-9]{20}-\\d+$`));
    assert.equal(response?.secret?.ttl, 600);
    assert.equal(response?.secret?.maxTtl, 3600);
    assert.equal(response?.secret?.renewable, true);
    assert.deepEqual(response?.secret?.internalData, { username, role: 'reader', db_name: 'pg', revocation_statements: [], secret_type: 'creds' });
    assert.equal(await postgresLogin(username), username);
    assert.equal(await postgresPasswordMatches(username, password), true);
    assert.ok(Math.abs((await validForSeconds(username)) - 600) <= 5);

    const renewed = await harness.send('renew', 'creds/reader', { username }, leaseOf(response, 1800));
    assert.equal(renewed?.secret?.ttl, 1800);
    assert.ok(Math.abs((await validForSeconds(username)) - 1800) <= 5);

    assert.equal(await harness.send('revoke', 'creds/reader', { username }, leaseOf(response)), null);
    assert.deepEqual(await postgresQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]), []);
    await assert.rejects(postgresLogin(username), { message: `role "${username}" does not exist` });
  });

  test('unknown role is rejected', async () => {
    await assertRejectedUnchanged(harness, () => harness.send('read', 'creds/nosuch'), 'unknown role: nosuch');
  });

  test('role removed from allowed_roles is rejected', async () => {
    await write(harness, 'config/pg', { allowed_roles: 'other' });
    await assertRejectedUnchanged(harness, () => harness.send('read', 'creds/reader'), '"reader" is not an allowed role of connection "pg"');
    await write(harness, 'config/pg', { allowed_roles: 'reader' });
  });

  test('periodic pass drops an unissued user', async () => {
    const username = `v-${prefix}-orphan`;
    created.push(username);
    await postgresQuery(`CREATE ROLE "${username}" LOGIN`);
    const wal = new WriteAheadLog(new StorageView(harness.storage, 'logical/db/'));
    await wal.put('user', { dbName: 'pg', username, revocationStatements: [] }, Date.now() - 3600_000);
    await harness.backend.periodic();
    assert.deepEqual(await postgresQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]), []);
    assert.deepEqual(await wal.list(), []);
  });

  test('mount max ttl caps the user', async () => {
    await write(harness, 'roles/reader', { default_ttl: '3h', max_ttl: '5h' });
    const response = await harness.send('read', 'creds/reader');
    const { username } = dataOf(response) as { username: string };
    created.push(username);
    assert.equal(response?.secret?.ttl, MAX_LEASE_TTL);
    assert.equal(response?.secret?.maxTtl, MAX_LEASE_TTL);
    // The user outlives its lease by a few seconds, so it stays valid until the lease is revoked.
    const validFor = await validForSeconds(username);
    assert.ok(validFor >= MAX_LEASE_TTL, `valid for ${validFor} s`);
    assert.ok(validFor <= MAX_LEASE_TTL + 6, `valid for ${validFor} s`);

    const renewed = await harness.send('renew', 'creds/reader', { username }, leaseOf(response, 5 * 3600));
    assert.equal(renewed?.secret?.ttl, MAX_LEASE_TTL);
    assert.ok((await validForSeconds(username)) <= MAX_LEASE_TTL + 1, 'renewal passed the mount max ttl');

    await harness.send('revoke', 'creds/reader', { username }, leaseOf(response));
    await write(harness, 'roles/reader', { default_ttl: '10m', max_ttl: '1h' });
  });

  test('mount default ttl applies', async () => {
    await write(harness, 'roles/reader', { default_ttl: 0, max_ttl: 0 });
    const response = await harness.send('read', 'creds/reader');
    const { username } = dataOf(response) as { username: string };
    created.push(username);
    assert.equal(response?.secret?.ttl, DEFAULT_LEASE_TTL);
    await harness.send('revoke', 'creds/reader', { username }, leaseOf(response));
  });
});

describe('creds with mariadb', () => {
  const prefix = `t${randomBytes(3).toString('hex')}`;
  const harness = createHarness(prefix);
  const created: string[] = [];
  before(async () => {
    await write(harness, 'config/maria', { ...MARIADB_CONFIG, allowed_roles: '*' });
    await write(harness, 'roles/app', { db_name: 'maria', creation_statements: MARIADB_CREATE });
  });
  after(async () => {
    for (const name of created) await mariadbQuery(`DROP USER IF EXISTS '${name}'@'%'`);
    await harness.backend.cleanup();
  });

  test('issue, login, renew, revoke', async () => {
    const response = await harness.send('read', 'creds/app');
    const { username, password } = dataOf(response) as { username: string; password: string };
    created.push(username);
    assert.equal(username.length <= 32, true);
    assert.ok(username.startsWith(`v-${prefix}-app-`));
    assert.equal(await mariadbLogin(username, password), `${username}@%`);
    await assert.rejects(mariadbLogin(username, `${password}x`), /Access denied for user/);

    const renewed = await harness.send('renew', 'creds/app', { username }, leaseOf(response, 900));
    assert.equal(renewed?.secret?.ttl, 900);

    assert.equal(await harness.send('revoke', 'creds/app', { username }, leaseOf(response)), null);
    await assert.rejects(mariadbLogin(username, password), /Access denied for user/);
  });
});

describe('creds with redis', () => {
  const prefix = `T${randomBytes(3).toString('hex').toUpperCase()}`;
  const harness = createHarness(prefix);
  before(async () => {
    await write(harness, 'config/cache', { plugin_name: 'redis-database-plugin', host: '127.0.0.1', port: 6379, allowed_roles: '*' });
    await write(harness, 'roles/reader', { db_name: 'cache', creation_statements: '["~cache:*", "+@read"]' });
  });
  after(() => harness.backend.cleanup());

  test('issue, login, revoke', async () => {
    const response = await harness.send('read', 'creds/reader');
    const { username, password } = dataOf(response) as { username: string; password: string };
    assert.ok(username.startsWith(`V_${prefix}_READER_`));
    assert.equal(await redisLogin(username, password), null);

    assert.equal(await harness.send('revoke', 'creds/reader', { username }, leaseOf(response)), null);
    await assert.rejects(redisLogin(username, password), /WRONGPASS/);
  });
});
