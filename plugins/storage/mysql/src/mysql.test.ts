import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger, type Logger } from '@coffer/sdk';
import { runStorageConformance } from '@coffer/certify';
import { isLoopback, MysqlStorage, parseSettings, plugin } from './index.js';
import { scrubMessage, scrubTermsOf } from './scrub.js';
import {
  dropDatabase,
  runAdmin,
  startTlsTestServer,
  testSettings,
  throwawayDatabaseName,
  tlsServerUnavailableReason,
  type TlsTestServer,
} from './testing.js';

// One database for the whole file, made by the first open and dropped at the
// end; each case gets tables of its own in it.
const database = throwawayDatabaseName();
/** Further databases that cases made, dropped at the end as well. */
const extraDatabases: string[] = [];
let tableCount = 0;

after(async () => {
  for (const name of [database, ...extraDatabases]) await dropDatabase(name);
});

function freshSettings(extra: Record<string, string> = {}): Record<string, string> {
  tableCount += 1;
  return testSettings(database, { table: `kv_${process.pid}_${tableCount}`, ...extra });
}

function freshDatabase(): string {
  const name = throwawayDatabaseName();
  extraDatabases.push(name);
  return name;
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = (await runAdmin('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])) as unknown[];
  return rows.length > 0;
}

runStorageConformance({
  name: 'mysql',
  module: new URL('./index.js', import.meta.url).href,
  settings: () => freshSettings(),
  async cleanup(settings) {
    await runAdmin(`DROP TABLE IF EXISTS \`${database}\`.\`${settings.table}\``);
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

/** A MySQL account made for one test, so that the process list shows which connections are its own. */
interface TestAccount {
  settings: Record<string, string>;
  /** The ids of the account's open connections, in ascending order. */
  connections(): Promise<number[]>;
  drop(): Promise<void>;
}

async function createTestAccount(): Promise<TestAccount> {
  const user = `coffer_u_${randomBytes(6).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const name = freshDatabase();
  await runAdmin(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
  await runAdmin(`GRANT ALL ON \`${name}\`.* TO '${user}'@'127.0.0.1'`);
  return {
    settings: testSettings(name, { username: user, password }),
    async connections() {
      const rows = (await runAdmin('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? ORDER BY ID', [user])) as Array<{ id: number }>;
      return rows.map((row) => row.id);
    },
    async drop() {
      await runAdmin(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`);
    },
  };
}

/** A TCP proxy to the test server that can make its open connections fail at their next write. */
interface CuttingProxy {
  address: string;
  /** Closes the server side of every open connection and resets the client side at its next write. */
  cutSilently(): void;
  /** How many client connections the proxy has accepted. */
  connectionCount(): number;
  close(): Promise<void>;
}

async function startCuttingProxy(): Promise<CuttingProxy> {
  const target = testSettings(database).address.split(':');
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let accepted = 0;
  const proxy = createServer((client) => {
    accepted += 1;
    const upstream = connect(Number(target[1]), target[0]);
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const forget = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', () => pairs.has(pair) && forget());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    cutSilently() {
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.unpipe(pair.upstream);
        pair.upstream.unpipe(pair.client);
        pair.upstream.destroy();
        pair.client.once('data', () => pair.client.resetAndDestroy());
        // unpipe left the socket paused, so nothing would emit 'data' without this.
        pair.client.resume();
      }
    },
    connectionCount: () => accepted,
    async close() {
      for (const pair of pairs) pair.client.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

async function open(settings: Record<string, string>, logger: Logger = silentLogger): Promise<MysqlStorage> {
  const storage = await plugin.create(settings, { logger });
  assert.ok(storage instanceof MysqlStorage);
  return storage;
}

describe('mysql storage', () => {
  test('rows follow Vault layout', async () => {
    const settings = freshSettings();
    const storage = await open(settings);
    await storage.put({ key: 'top', value: Buffer.from('1') });
    await storage.put({ key: 'a/b/c', value: Buffer.from('2') });
    await storage.close();

    const rows = await runAdmin(`SELECT vault_key, vault_value FROM \`${database}\`.\`${settings.table}\` ORDER BY vault_key`);
    assert.deepEqual(rows, [
      { vault_key: Buffer.from('a/b/c'), vault_value: Buffer.from('2') },
      { vault_key: Buffer.from('top'), vault_value: Buffer.from('1') },
    ]);
    const columns = await runAdmin(
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, COLUMN_KEY AS `key` FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [database, settings.table],
    );
    assert.deepEqual(columns, [
      { name: 'vault_key', type: 'varbinary(3072)', key: 'PRI' },
      { name: 'vault_value', type: 'mediumblob', key: '' },
    ]);
  });

  test('list skips deep folders in batches', async () => {
    const settings = freshSettings();
    const storage = await open(settings);
    const puts: Array<Promise<void>> = [];
    // 1,200 direct keys take three list batches; each folder contains 40 keys that listing must skip.
    for (let i = 0; i < 1200; i++) puts.push(storage.put({ key: `big/k${String(i).padStart(4, '0')}`, value: Buffer.from('v') }));
    for (let i = 0; i < 400; i++) puts.push(storage.put({ key: `big/f${i % 10}/sub/k${i}`, value: Buffer.from('v') }));
    await Promise.all(puts);

    const listed = await storage.list('big/');
    assert.equal(listed.length, 1210);
    assert.deepEqual(listed.slice(0, 11), ['f0/', 'f1/', 'f2/', 'f3/', 'f4/', 'f5/', 'f6/', 'f7/', 'f8/', 'f9/', 'k0000']);
    assert.equal(listed[1209], 'k1199');
    assert.deepEqual(await storage.list('big/f3/'), ['sub/']);
    assert.equal((await storage.list('big/f3/sub/')).length, 40);
    await storage.close();
  });

  test('table from Vault docs is used as is', async () => {
    const table = `vault_made_${process.pid}`;
    await runAdmin(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
    await runAdmin(`CREATE TABLE \`${database}\`.\`${table}\` (vault_key varbinary(3072), vault_value mediumblob, PRIMARY KEY (vault_key))`);
    await runAdmin(`INSERT INTO \`${database}\`.\`${table}\` VALUES ('core/existing', 'old')`);
    const storage = await open(testSettings(database, { table }));
    assert.deepEqual((await storage.get('core/existing'))?.value, Buffer.from('old'));
    await storage.put({ key: 'core/existing', value: Buffer.from('new') });
    assert.deepEqual(await storage.list('core/'), ['existing']);
    assert.deepEqual((await storage.get('core/existing'))?.value, Buffer.from('new'));
    await storage.close();
  });

  test('table of another shape is rejected', async () => {
    const table = `wrong_columns_${process.pid}`;
    await runAdmin(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
    await runAdmin(`CREATE TABLE \`${database}\`.\`${table}\` (vault_key varchar(255) PRIMARY KEY, vault_value mediumblob)`);
    await assert.rejects(open(testSettings(database, { table })), {
      message:
        `storage "mysql": table \`${database}\`.\`${table}\` has no varbinary column "vault_key"; ` +
        'point setting "table" at a table made by Coffer or Vault, or at a new name to have it created',
    });
  });

  test('lock table of Vault is rejected', async () => {
    const lockTable = `vault_lock_${process.pid}`;
    await runAdmin(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
    await runAdmin(`CREATE TABLE \`${database}\`.\`${lockTable}\` (node_job varbinary(512), current_leader varbinary(512), PRIMARY KEY (node_job))`);
    await assert.rejects(open(freshSettings({ ha_enabled: 'true', lock_table: lockTable })), {
      message:
        `storage "mysql": table \`${database}\`.\`${lockTable}\` has no varbinary column "ha_key"; ` +
        'point setting "lock_table" at a table made by Coffer or Vault, or at a new name to have it created',
    });
  });

  test('concurrent opens of a new database', async () => {
    // The race is narrow, so it takes several fresh databases and eight servers each.
    for (let round = 0; round < 5; round += 1) {
      const settings = testSettings(freshDatabase(), { ha_enabled: 'true' });
      const stores = await Promise.all(Array.from({ length: 8 }, () => open(settings)));
      await stores[0].put({ key: 'k', value: Buffer.from('v') });
      assert.deepEqual((await stores[7].get('k'))?.value, Buffer.from('v'));
      for (const storage of stores) await storage.close();
      const tables = await runAdmin('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [settings.database]);
      assert.deepEqual(tables, [{ name: 'vault' }, { name: 'vault_lock' }]);
    }
  });

  test('closed storage rejects every operation', async () => {
    const storage = await open(freshSettings());
    await storage.close();
    await storage.close();
    for (const operation of [storage.get('k'), storage.put({ key: 'k', value: Buffer.from('v') }), storage.delete('k'), storage.list('')]) {
      await assert.rejects(operation, { message: 'storage "mysql": the storage is closed' });
    }
  });

  test('failed writes leave storage unchanged', async () => {
    const storage = await open(freshSettings());
    try {
      await storage.put({ key: 'kept', value: Buffer.from('old') });

      const longKey = 'long/' + 'é'.repeat(1600);
      await assert.rejects(storage.put({ key: longKey, value: Buffer.from('x') }), {
        message: 'storage "mysql": invalid key: key is 3205 bytes in UTF-8, more than the maximum of 3072 that column "vault_key" stores; use a shorter key',
      });

      // MariaDB's default max_allowed_packet is 16 MiB, and MEDIUMBLOB stores less than 16 MiB.
      const huge = Buffer.alloc(17 * 1024 * 1024, 1);
      await assert.rejects(storage.put({ key: 'kept', value: huge }), (err: Error) => {
        assert.match(err.message, /^storage "mysql": put failed: /);
        return true;
      });
      await assert.rejects(storage.put({ key: 'other', value: huge }), /^Error: storage "mysql": put failed: /);

      assert.deepEqual((await storage.get('kept'))?.value, Buffer.from('old'));
      assert.equal(await storage.get('other'), null);
      assert.deepEqual(await storage.list(''), ['kept']);
    } finally {
      await storage.close();
    }
  });

  test('idle connections and lifetime', async () => {
    const account = await createTestAccount();
    const connections = () => account.connections();
    const burst = async (storage: MysqlStorage): Promise<void> => {
      await Promise.all(Array.from({ length: 8 }, (_, i) => storage.get(`k${i}`)));
    };
    try {
      const base = { ...account.settings, max_parallel: '4' };

      // The default keeps 2 idle connections; mysql2 closes the rest within about a second.
      const keepTwo = await open(base);
      await burst(keepTwo);
      assert.equal((await connections()).length, 4);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      assert.equal((await connections()).length, 2);
      await keepTwo.close();

      const keepNone = await open({ ...base, max_idle_connections: '-1' });
      await burst(keepNone);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      assert.deepEqual(await connections(), []);
      await keepNone.close();

      // One connection, retired after its first use past one second.
      const shortLived = await open({ ...base, max_parallel: '1', max_connection_lifetime: '1' });
      await shortLived.get('k');
      const [first] = await connections();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await shortLived.get('k');
      await shortLived.get('k');
      const [second] = await connections();
      assert.equal(typeof first, 'number');
      assert.equal(typeof second, 'number');
      assert.notEqual(second, first);
      await shortLived.close();
    } finally {
      await account.drop();
    }
  });

  test('closed pooled connection is replaced', async () => {
    const proxy = await startCuttingProxy();
    const logger = recordingLogger();
    try {
      const storage = await open(freshSettings({ address: proxy.address, max_parallel: '1' }), logger);
      await storage.put({ key: 'k', value: Buffer.from('v') });

      // The idle connection dies without the client noticing, as behind a NAT that forgot it.
      proxy.cutSilently();
      assert.deepEqual((await storage.get('k'))?.value, Buffer.from('v'));
      await storage.put({ key: 'k', value: Buffer.from('w') });
      assert.deepEqual((await storage.get('k'))?.value, Buffer.from('w'));
      await storage.close();

      assert.equal(proxy.connectionCount(), 2);
      const retries = logger.lines.filter((line) => line.message === 'mysql pooled connection failed; retrying on a new connection');
      assert.equal(retries.length, 1);
    } finally {
      await proxy.close();
    }
  });

  test('connection errors hide host and password', async () => {
    const port = await closedPort();
    const logger = recordingLogger();
    const settings = testSettings(freshDatabase(), { address: `127.0.0.1:${port}`, username: 'coffer_admin', password: 'hunter2-secret' });
    await assert.rejects(open(settings, logger), (err: Error) => {
      assert.match(err.message, /^storage "mysql": failed to create database `coffer_test_[0-9a-f]{16}`: /);
      assert.match(err.message, /ECONNREFUSED/);
      assert.doesNotMatch(err.message, /hunter2/);
      assert.doesNotMatch(err.message, /127\.0\.0\.1/);
      assert.doesNotMatch(err.message, new RegExp(String(port)));
      assert.equal(err.cause, undefined);
      return true;
    });
    assert.doesNotMatch(JSON.stringify(logger.lines), /hunter2/);
  });

  test('server errors hide the user', async () => {
    const settings = testSettings(freshDatabase(), { username: 'no_such_user_x', password: 'hunter2-secret' });
    await assert.rejects(open(settings), (err: Error) => {
      assert.match(err.message, /^storage "mysql": failed to create database `coffer_test_[0-9a-f]{16}`: Access denied for user '<user>'@.* \(code ER_ACCESS_DENIED_ERROR\)$/);
      assert.doesNotMatch(err.message, /no_such_user_x|hunter2/);
      return true;
    });
  });

  test('scrubMessage replaces every term', () => {
    const terms = scrubTermsOf({ password: 'p@ss', username: 'admin', host: 'db.internal.example' });
    const scrubbed = scrubMessage(
      "Access denied for user 'admin'@'10.1.2.3' at db.internal.example (10.1.2.3:3306, [fe80::1]:3306) with p@ss via mysql://admin:p@ss@db:3306/vault",
      terms,
    );
    assert.equal(scrubbed, "Access denied for user '<user>'@'<host>' at <host> (<host>, <host>) with <password> via <address>");
  });

  test('ha_enabled creates the lock table', async () => {
    const logger = recordingLogger();
    const settings = freshSettings({ ha_enabled: 'true', password: '' });
    const storage = await open(settings, logger);
    await storage.close();
    const columns = await runAdmin(
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [database, `${settings.table}_lock`],
    );
    assert.deepEqual(columns, [
      { name: 'ha_key', type: 'varbinary(512)' },
      { name: 'ha_identity', type: 'varbinary(64)' },
      { name: 'ha_value', type: 'blob' },
      { name: 'valid_until', type: 'datetime(6)' },
    ]);
    assert.equal(logger.lines.filter((line) => line.level === 'warn').length, 0);
    assert.deepEqual(
      logger.lines.map((line) => line.message),
      ['mysql storage opened', 'mysql storage closed'],
    );
  });

  test('settings: each problem names the setting', async () => {
    const base = { username: 'root', password: '' };
    const cases: Array<[Record<string, string>, string]> = [
      [{ password: '' }, 'storage "mysql": missing required setting "username"; set it to the MySQL account Coffer connects as'],
      [
        { username: 'root' },
        'storage "mysql": missing required setting "password"; set it to the password of "username", or to "" for an account without one',
      ],
      [{ ...base, address: 'db:port' }, 'storage "mysql": setting "address" must be "host:port", such as "127.0.0.1:3306" or "[::1]:3306", not "db:port"'],
      [{ ...base, address: '127.0.0.1:70000' }, 'storage "mysql": setting "address" must be "host:port", such as "127.0.0.1:3306" or "[::1]:3306", not "127.0.0.1:70000"'],
      [{ ...base, address: '[zz::1]:3306' }, 'storage "mysql": setting "address" must be "host:port", such as "127.0.0.1:3306" or "[::1]:3306", not "[zz::1]:3306"'],
      [{ ...base, address: '[1::2::3]:3306' }, 'storage "mysql": setting "address" has an invalid IPv6 address in brackets: "[1::2::3]:3306"'],
      [{ ...base, database: 'vault`; DROP DATABASE x' }, 'storage "mysql": setting "database" must be 1 to 64 letters, digits, "_" or "$", and not only digits, not "vault`; DROP DATABASE x"'],
      [{ ...base, table: 'a.b' }, 'storage "mysql": setting "table" must be 1 to 64 letters, digits, "_" or "$", and not only digits, not "a.b"'],
      [{ ...base, table: '123' }, 'storage "mysql": setting "table" must be 1 to 64 letters, digits, "_" or "$", and not only digits, not "123"'],
      [{ ...base, lock_table: '' }, 'storage "mysql": setting "lock_table" must be 1 to 64 letters, digits, "_" or "$", and not only digits, not ""'],
      [
        { ...base, table: 't'.repeat(62) },
        `storage "mysql": the default "lock_table" "${'t'.repeat(62)}_lock" is longer than 64 characters; set "lock_table", or use a shorter "table"`,
      ],
      [{ ...base, max_parallel: '0' }, 'storage "mysql": setting "max_parallel" must be a whole number from 1 to 1000, not "0"'],
      [{ ...base, max_parallel: 'lots' }, 'storage "mysql": setting "max_parallel" must be a whole number from 1 to 1000, not "lots"'],
      [{ ...base, max_idle_connections: '2.5' }, 'storage "mysql": setting "max_idle_connections" must be a whole number, not "2.5"'],
      [
        { ...base, max_connection_lifetime: 'forever' },
        'storage "mysql": setting "max_connection_lifetime" must be whole seconds or a duration such as "30m", not "forever"',
      ],
      [{ ...base, ha_enabled: 'yes' }, 'storage "mysql": setting "ha_enabled" must be "true" or "false", not "yes"'],
      [{ ...base, plaintext_connection_allowed: 'ok' }, 'storage "mysql": setting "plaintext_connection_allowed" must be "true" or "false", not "ok"'],
      [{ ...base, ha_lock_ttl: '1s' }, 'storage "mysql": setting "ha_lock_ttl" must be a duration from 2s to 10m, such as "15s", not "1s"'],
      [
        { ...base, tls_ca_file: '/nonexistent/ca.pem' },
        'storage "mysql": setting "tls_ca_file" names a file that cannot be read ("/nonexistent/ca.pem", ENOENT); point it at a PEM file of CA certificates',
      ],
    ];
    for (const [settings, message] of cases) {
      assert.throws(() => parseSettings(settings), { message });
      // A rejected config changes nothing: the database it names is not created.
      const name = freshDatabase();
      await assert.rejects(plugin.create({ database: name, ...settings }, { logger: silentLogger }), { message });
      assert.equal(await databaseExists(name), false, `database made for ${JSON.stringify(settings)}`);
    }
  });

  test('settings: Vault defaults', () => {
    const parsed = parseSettings({ username: 'coffer', password: 'hunter2' });
    assert.deepEqual(parsed, {
      host: '127.0.0.1',
      port: 3306,
      username: 'coffer',
      password: 'hunter2',
      database: 'vault',
      table: 'vault',
      lockTable: 'vault_lock',
      tlsCa: undefined,
      tlsCaFile: undefined,
      maxParallel: 16,
      maxIdleConnections: 2,
      maxConnectionLifetimeMs: 0,
      plaintextConnectionAllowed: false,
      haEnabled: false,
      haLockTtlMs: 15_000,
    });
    assert.deepEqual([...plugin.settings], [
      'address',
      'username',
      'password',
      'database',
      'table',
      'tls_ca_file',
      'plaintext_connection_allowed',
      'max_parallel',
      'max_idle_connections',
      'max_connection_lifetime',
      'ha_enabled',
      'lock_table',
      'ha_lock_ttl',
    ]);
  });

  test('settings: pool limits follow Vault', () => {
    const read = (extra: Record<string, string>) => {
      const parsed = parseSettings({ username: 'u', password: '', ...extra });
      return [parsed.maxParallel, parsed.maxIdleConnections, parsed.maxConnectionLifetimeMs];
    };
    assert.deepEqual(read({ max_parallel: '8' }), [8, 2, 0]);
    assert.deepEqual(read({ max_parallel: '8', max_idle_connections: '0' }), [8, 2, 0]);
    assert.deepEqual(read({ max_parallel: '8', max_idle_connections: '-1' }), [8, 0, 0]);
    assert.deepEqual(read({ max_parallel: '8', max_idle_connections: '50' }), [8, 8, 0]);
    assert.deepEqual(read({ max_parallel: '1' }), [1, 1, 0]);
    assert.deepEqual(read({ max_connection_lifetime: '300' }), [16, 2, 300_000]);
    assert.deepEqual(read({ max_connection_lifetime: '5m' }), [16, 2, 300_000]);
    assert.deepEqual(read({ max_connection_lifetime: '-1' }), [16, 2, 0]);
    assert.deepEqual(parseSettings({ username: 'u', password: '', address: '[::1]:3307' }).port, 3307);
    assert.deepEqual(parseSettings({ username: 'u', password: '', address: 'localhost' }).host, 'localhost');
  });

  test('plaintext to a remote address is rejected', async () => {
    for (const address of ['db.internal.example:3306', '192.0.2.10', '[2001:db8::1]:3306', '10.0.0.1:3306']) {
      const message =
        `storage "mysql": address "${address}" is not a loopback address, so the password would cross the network unencrypted; ` +
        'set "tls_ca_file" to the CA certificate of the server to connect with TLS, or set "plaintext_connection_allowed" to "true"';
      const settings = { address, username: 'coffer', password: 'hunter2-secret' };
      assert.throws(() => parseSettings(settings), { message });
      // The check runs before any connection, so create fails at once and sends nothing.
      await assert.rejects(plugin.create(settings, { logger: silentLogger }), { message });
      assert.equal(parseSettings({ ...settings, plaintext_connection_allowed: 'true' }).plaintextConnectionAllowed, true);
    }
  });

  test('tls_ca_file allows a remote address', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coffer-mysql-ca-'));
    try {
      const caFile = join(dir, 'ca.pem');
      const made = spawnSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', join(dir, 'ca.key'), '-out', caFile, '-subj', '/CN=coffer test ca', '-days', '1',
      ]);
      assert.equal(made.status, 0, String(made.stderr));
      const parsed = parseSettings({ address: 'db.internal.example:3306', username: 'coffer', password: 'x', tls_ca_file: caFile });
      assert.match(parsed.tlsCa ?? '', /^-----BEGIN CERTIFICATE-----\n/);
      assert.equal(parsed.tlsCaFile, caFile);

      const notPem = join(dir, 'not.pem');
      await writeFile(notPem, 'hello');
      assert.throws(() => parseSettings({ username: 'coffer', password: 'x', tls_ca_file: notPem }), {
        message: `storage "mysql": setting "tls_ca_file" names a file with no PEM certificate ("${notPem}"); point it at a PEM file of CA certificates`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('isLoopback accepts only this machine', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1']) assert.equal(isLoopback(host), true, host);
    for (const host of ['10.0.0.1', '0.0.0.0', '128.0.0.1', '::', 'localhost.example.com', 'db', '2001:db8::1']) assert.equal(isLoopback(host), false, host);
  });

  test('setting errors hide the password', () => {
    assert.throws(() => parseSettings({ address: 'db.internal.example', username: 'u', password: 'hunter2-secret' }), (err: Error) => {
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  });
});

describe('mysql storage over TLS', { skip: tlsServerUnavailableReason() }, () => {
  let server: TlsTestServer;
  const user = 'coffer_tls';
  const password = 'tls-secret';

  before(async () => {
    server = await startTlsTestServer();
    // REQUIRE SSL makes the server reject this user's connections without TLS.
    await server.runAdmin(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}' REQUIRE SSL`);
    await server.runAdmin(`GRANT ALL ON *.* TO '${user}'@'127.0.0.1'`);
  });

  after(async () => {
    await server?.stop();
  });

  function tlsSettings(extra: Record<string, string>): Record<string, string> {
    return { address: server.address, username: user, password, database: 'coffer_tls', ...extra };
  }

  test('tls_ca_file connects with TLS', async () => {
    const storage = await open(tlsSettings({ tls_ca_file: server.caFile }));
    await storage.put({ key: 'a/b', value: Buffer.from('over tls') });
    assert.deepEqual((await storage.get('a/b'))?.value, Buffer.from('over tls'));
    assert.deepEqual(await storage.list('a/'), ['b']);
    await storage.close();
  });

  test('plain connection is refused', async () => {
    await assert.rejects(open(tlsSettings({ plaintext_connection_allowed: 'true' })), {
      message: "storage \"mysql\": failed to create database `coffer_tls`: Access denied for user '<user>'@'localhost' (using password: YES) (code ER_ACCESS_DENIED_ERROR)",
    });
  });

  test('unknown CA is rejected', async () => {
    await assert.rejects(open(tlsSettings({ tls_ca_file: server.otherCaFile })), {
      message: 'storage "mysql": failed to create database `coffer_tls`: self-signed certificate in certificate chain (code HANDSHAKE_SSL_ERROR)',
    });
  });
});
