import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { silentLogger, type Logger } from '@coffer/sdk';
import { runStorageConformance } from '@coffer/certify';
import { plugin, PostgresqlStorage } from './index.js';
import { statements } from './postgresql.js';
import { scrubMessage, scrubTermsOf } from './scrub.js';
import { parseSettings } from './settings.js';
import { createThrowawayDatabase, runAdmin, type ThrowawayDatabase } from './testing.js';

// One database for the whole file, made on first use and dropped at the end;
// each case gets a table of its own in it.
let database: Promise<ThrowawayDatabase> | undefined;
let tableCount = 0;

function testDatabase(): Promise<ThrowawayDatabase> {
  database ??= createThrowawayDatabase();
  return database;
}

after(async () => {
  if (database !== undefined) await (await database).drop();
});

async function freshSettings(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const db = await testDatabase();
  tableCount += 1;
  return { connection_url: db.url, table: `kv_${process.pid}_${tableCount}`, ...extra };
}

runStorageConformance({
  name: 'postgresql',
  module: new URL('./index.js', import.meta.url).href,
  settings: () => freshSettings(),
  async cleanup(settings) {
    await runAdmin(settings.connection_url, `DROP TABLE IF EXISTS ${settings.table}`);
  },
  persistent: true,
});

/** Returns a logger that keeps every line, to check what would reach the server log. */
function recordingLogger(): Logger & { lines: Array<{ level: string; fields: object; message: string }> } {
  const lines: Array<{ level: string; fields: object; message: string }> = [];
  const record = (level: string) => (fields: object, message: string) => void lines.push({ level, fields, message });
  const logger = {
    lines,
    trace: record('trace'),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: () => logger,
  };
  return logger;
}

/** Finds a loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('postgresql storage', () => {
  let url: string;
  before(async () => {
    url = (await testDatabase()).url;
  });

  async function open(settings: Record<string, string>): Promise<PostgresqlStorage> {
    const storage = await plugin.create(settings, { logger: silentLogger });
    assert.ok(storage instanceof PostgresqlStorage);
    return storage;
  }

  test('rows follow Vault layout', async () => {
    const settings = await freshSettings();
    const storage = await open(settings);
    await storage.put({ key: 'top', value: Buffer.from('1') });
    await storage.put({ key: 'a/one', value: Buffer.from('2') });
    await storage.put({ key: 'a/b/c', value: Buffer.from('3') });
    await storage.close();

    const rows = await runAdmin(url, `SELECT parent_path, path, key, value FROM ${settings.table} ORDER BY path, key`);
    assert.deepEqual(rows.rows, [
      { parent_path: '', path: '/', key: 'top', value: Buffer.from('1') },
      { parent_path: '/', path: '/a/', key: 'one', value: Buffer.from('2') },
      { parent_path: '/a/', path: '/a/b/', key: 'c', value: Buffer.from('3') },
    ]);
  });

  test('list walks the primary key, not the table', async () => {
    const settings = await freshSettings();
    const storage = await open(settings);
    const puts: Array<Promise<void>> = [];
    for (let i = 0; i < 3000; i++) puts.push(storage.put({ key: `big/f${i % 30}/sub${i % 7}/k${i}`, value: Buffer.from('v') }));
    await Promise.all(puts);
    await storage.close();
    await runAdmin(url, `ANALYZE ${settings.table}`);

    const probe = await open(settings);
    assert.equal((await probe.list('big/')).length, 30);
    await probe.close();

    const sql = statements(settings.table);
    for (const [query, values] of [
      [sql.listKeys, ['/big/f3/']],
      [sql.listFolders, ['/big/', '/big0']],
    ] as const) {
      const plan = await runAdmin(url, `EXPLAIN ${query}`, [...values]);
      const text = plan.rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
      assert.doesNotMatch(text, /Seq Scan/, text);
      assert.match(text, new RegExp(`Index (Only )?Scan (using|on) ${settings.table}_pkey`), text);
    }
  });

  test('table from Vault docs is used as is', async () => {
    const table = `vault_made_${process.pid}`;
    await runAdmin(
      url,
      `CREATE TABLE ${table} (
         parent_path TEXT COLLATE "C" NOT NULL,
         path        TEXT COLLATE "C",
         key         TEXT COLLATE "C",
         value       BYTEA,
         CONSTRAINT ${table}_key PRIMARY KEY (path, key));
       CREATE INDEX ${table}_parent_path_idx ON ${table} (parent_path);
       INSERT INTO ${table} VALUES ('/', '/core/', 'existing', 'old')`,
    );
    const storage = await open({ connection_url: url, table });
    assert.deepEqual((await storage.get('core/existing'))?.value, Buffer.from('old'));
    await storage.put({ key: 'core/existing', value: Buffer.from('new') });
    assert.deepEqual(await storage.list('core/'), ['existing']);
    assert.deepEqual((await storage.get('core/existing'))?.value, Buffer.from('new'));
    await storage.close();
    await runAdmin(url, `DROP TABLE ${table}`);
  });

  test('table of another shape is rejected', async () => {
    const collated = `wrong_collation_${process.pid}`;
    const missing = `wrong_columns_${process.pid}`;
    await runAdmin(
      url,
      `CREATE TABLE ${collated} (parent_path TEXT NOT NULL, path TEXT COLLATE "en_US", key TEXT, value BYTEA, PRIMARY KEY (path, key));
       CREATE TABLE ${missing} (path TEXT, key TEXT, data BYTEA, PRIMARY KEY (path, key))`,
    ).catch(async () => {
      // Without an en_US collation on the server, "C.UTF-8" serves as the non-byte-order case.
      await runAdmin(
        url,
        `CREATE TABLE ${collated} (parent_path TEXT NOT NULL, path TEXT COLLATE "C.utf8", key TEXT, value BYTEA, PRIMARY KEY (path, key));
         CREATE TABLE ${missing} (path TEXT, key TEXT, data BYTEA, PRIMARY KEY (path, key))`,
      );
    });
    await assert.rejects(open({ connection_url: url, table: collated }), (err: Error) => {
      assert.match(err.message, new RegExp(`^storage "postgresql": column "path" of table "${collated}" uses collation "[^"]+", but listing needs byte order; `));
      return true;
    });
    await assert.rejects(open({ connection_url: url, table: missing }), {
      message:
        `storage "postgresql": table "${missing}" has no text column "parent_path"; ` +
        `point setting "table" at a table in Vault's layout, or at a new name to have it created`,
    });
    await runAdmin(url, `DROP TABLE ${collated}; DROP TABLE ${missing}`);
  });

  test('schema-qualified table is created there', async () => {
    const schema = `s_${process.pid}`;
    await runAdmin(url, `CREATE SCHEMA ${schema}`);
    const storage = await open({ connection_url: url, table: `${schema}.entries` });
    await storage.put({ key: 'k', value: Buffer.from('v') });
    await storage.close();
    const rows = await runAdmin(url, `SELECT key FROM ${schema}.entries`);
    assert.deepEqual(rows.rows, [{ key: 'k' }]);
    await runAdmin(url, `DROP SCHEMA ${schema} CASCADE`);
  });

  test('concurrent opens of a new table', async () => {
    // The race is narrow, so it takes several fresh tables and eight servers each.
    for (let round = 0; round < 5; round += 1) {
      const settings = await freshSettings({ ha_enabled: 'true', ha_table: `ha_${process.pid}_${tableCount}` });
      const stores = await Promise.all(Array.from({ length: 8 }, () => open(settings)));
      await stores[0].put({ key: 'k', value: Buffer.from('v') });
      assert.deepEqual((await stores[7].get('k'))?.value, Buffer.from('v'));
      for (const storage of stores) await storage.close();
    }
  });

  test('closed storage rejects every operation', async () => {
    const storage = await open(await freshSettings());
    await storage.close();
    await storage.close();
    for (const operation of [storage.get('k'), storage.put({ key: 'k', value: Buffer.from('v') }), storage.delete('k'), storage.list('')]) {
      await assert.rejects(operation, { message: 'storage "postgresql": the storage is closed' });
    }
  });

  test('connection errors hide host and password', async () => {
    const port = await closedPort();
    const secretUrl = `postgres://coffer:hunter2-secret@127.0.0.1:${port}/coffer`;
    await assert.rejects(open({ connection_url: secretUrl }), (err: Error) => {
      assert.match(err.message, /^storage "postgresql": failed to create table "vault_kv_store": /);
      assert.match(err.message, /ECONNREFUSED/);
      assert.doesNotMatch(err.message, /hunter2/);
      assert.doesNotMatch(err.message, /127\.0\.0\.1/);
      assert.doesNotMatch(err.message, new RegExp(String(port)));
      assert.equal(err.cause, undefined);
      return true;
    });
  });

  test('server errors hide the user', async () => {
    const wrongDatabase = new URL(url);
    wrongDatabase.username = 'no_such_role_x';
    wrongDatabase.password = 'hunter2-secret';
    await assert.rejects(open({ connection_url: wrongDatabase.toString() }), (err: Error) => {
      assert.match(err.message, /^storage "postgresql": failed to create table "vault_kv_store": .*<user>.* \(code 28000\)$/);
      assert.doesNotMatch(err.message, /no_such_role_x|hunter2/);
      return true;
    });
  });

  test('scrubMessage replaces every term', () => {
    const terms = scrubTermsOf('postgres://admin:p%40ss@db.internal.example:5432/vault?host=/run/pg');
    assert.equal(terms.password, 'p@ss');
    assert.deepEqual(terms.hosts, ['db.internal.example', '/run/pg']);
    const scrubbed = scrubMessage(
      'password authentication failed for user "admin" at db.internal.example (10.1.2.3:5432, [fe80::1]:5432) ' +
        'with p@ss or p%40ss via postgres://admin:p%40ss@db.internal.example:5432/vault and /run/pg/.s.PGSQL.5432',
      terms,
    );
    assert.equal(
      scrubbed,
      'password authentication failed for user "<user>" at <host> (<host>, <host>) with <password> or <password> via <connection_url> and <host>/.s.PGSQL.5432',
    );
  });

  test('ha_enabled creates the lock table', async () => {
    const logger = recordingLogger();
    const settings = await freshSettings({ ha_enabled: 'true', ha_table: `locks_${process.pid}_${tableCount}` });
    const storage = await plugin.create(settings, { logger });
    await storage.close();
    const columns = await runAdmin(
      settings.connection_url,
      'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name',
      [settings.ha_table],
    );
    assert.deepEqual(
      columns.rows.map((row: { column_name: string }) => row.column_name),
      ['ha_identity', 'ha_key', 'ha_value', 'valid_until'],
    );
    assert.equal(logger.lines.filter((line) => line.level === 'warn').length, 0);
    assert.doesNotMatch(JSON.stringify(logger.lines), /postgres:\/\//);
  });

  test('settings: each problem names the setting', async () => {
    const good = 'postgres://u@127.0.0.1/db';
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'storage "postgresql": missing required setting "connection_url"; set it to a URL such as "postgres://user:password@host:5432/vault"'],
      [
        { connection_url: 'host=db user=admin password=hunter2' },
        'storage "postgresql": setting "connection_url" is not a valid URL ("host=db user=admin password=****"); use the form "postgres://user:password@host:5432/database"',
      ],
      [
        { connection_url: 'mysql://admin:hunter2@db/vault' },
        'storage "postgresql": setting "connection_url" must start with "postgres://" or "postgresql://", not "mysql://"; use the form "postgres://user:password@host:5432/database"',
      ],
      [{ connection_url: good, max_parallel: '0' }, 'storage "postgresql": setting "max_parallel" must be a whole number from 1 to 1000, not "0"'],
      [{ connection_url: good, max_parallel: 'lots' }, 'storage "postgresql": setting "max_parallel" must be a whole number from 1 to 1000, not "lots"'],
      [{ connection_url: good, ha_enabled: 'yes' }, 'storage "postgresql": setting "ha_enabled" must be "true" or "false", not "yes"'],
      [{ connection_url: good, ha_lock_ttl: '1s' }, 'storage "postgresql": setting "ha_lock_ttl" must be a duration from 2s to 10m, such as "15s", not "1s"'],
      [
        { connection_url: good, table: 'kv; DROP TABLE x' },
        'storage "postgresql": setting "table" must be a table name such as "vault_kv_store" or "schema.table" in lower-case letters, digits and "_", not "kv; DROP TABLE x"',
      ],
      [
        { connection_url: good, ha_table: 'a.b.c' },
        'storage "postgresql": setting "ha_table" must be a table name such as "vault_ha_locks" or "schema.table" in lower-case letters, digits and "_", not "a.b.c"',
      ],
    ];
    for (const [settings, message] of cases) {
      assert.throws(() => parseSettings(settings), { message });
      await assert.rejects(plugin.create(settings, { logger: silentLogger }), { message });
    }
    assert.deepEqual(parseSettings({ connection_url: good }), {
      connectionUrl: good,
      table: { schema: '', name: 'vault_kv_store' },
      maxParallel: 16,
      haEnabled: false,
      haTable: { schema: '', name: 'vault_ha_locks' },
      haLockTtlMs: 15_000,
    });
    assert.deepEqual(parseSettings({ connection_url: good, table: 'coffer.kv', max_parallel: '4', ha_enabled: 'T' }).table, { schema: 'coffer', name: 'kv' });
    assert.deepEqual([...plugin.settings], ['connection_url', 'table', 'max_parallel', 'ha_enabled', 'ha_table', 'ha_lock_ttl']);
  });

  test('setting errors hide the password', () => {
    assert.throws(() => parseSettings({ connection_url: 'mysql://admin:hunter2@db/vault' }), (err: Error) => !err.message.includes('hunter2'));
    assert.throws(() => parseSettings({ connection_url: 'postgres://admin:hunter2@[bad/vault' }), (err: Error) => {
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  });
});
