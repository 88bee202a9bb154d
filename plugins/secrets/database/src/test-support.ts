/**
 * Test fixtures: a database engine on real in-memory storage whose system
 * view opens the built-in PostgreSQL and MySQL plugins, and helpers that
 * reach the machine's PostgreSQL and MariaDB servers directly.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import {
  badRequest,
  isCofferError,
  StorageView,
  type Backend,
  type DatabasePlugin,
  type LeasedSecret,
  type Operation,
  type Response,
} from '@coffer/sdk';
import { plugin as mysqlPlugin } from '@coffer/database-mysql';
import { plugin as postgresPlugin } from '@coffer/database-postgresql';
import { plugin as redisPlugin } from '@coffer/database-redis';
import { InmemStorage } from '@coffer/storage-inmem';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createBackend } from './backend.js';

export const POSTGRES_URL = process.env.COFFER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' };

/** Connection settings of the test servers' administrator accounts, for config/:name. */
export const POSTGRES_CONFIG = {
  plugin_name: 'postgresql-database-plugin',
  connection_url: POSTGRES_URL.replace('postgres@', '{{username}}:{{password}}@'),
  username: 'postgres',
  password: '',
};
export const MARIADB_CONFIG = {
  plugin_name: 'mysql-database-plugin',
  connection_url: `mysql://{{username}}:{{password}}@${MARIADB.host}:${MARIADB.port}/${MARIADB.database}`,
  username: 'root',
  password: '',
};

export const POSTGRES_CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
export const MARIADB_CREATE = `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON test.* TO '{{name}}'@'%';`;

const BUILTIN: Record<string, DatabasePlugin> = { [postgresPlugin.name]: postgresPlugin, [mysqlPlugin.name]: mysqlPlugin, [redisPlugin.name]: redisPlugin };

export const DEFAULT_LEASE_TTL = 3600;
export const MAX_LEASE_TTL = 7200;

export interface Harness {
  backend: Backend;
  storage: InmemStorage;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>, secret?: LeasedSecret): Promise<Response | null>;
  snapshot(): Promise<Map<string, string>>;
}

/** Mounts a database engine on fresh in-memory storage; `displayName` is the caller's token display name. */
export function createHarness(displayName = `t${randomBytes(3).toString('hex')}`): Harness {
  const storage = new InmemStorage();
  const view = new StorageView(storage, 'logical/db/');
  const backend = createBackend({
    storage: view,
    logger: quietLogger,
    system: {
      defaultLeaseTtl: () => DEFAULT_LEASE_TTL,
      maxLeaseTtl: () => MAX_LEASE_TTL,
      openDatabase: async (name) => {
        const plugin = BUILTIN[name];
        if (plugin === undefined) throw badRequest(`no database plugin named "${name}"`);
        return plugin.create();
      },
    },
    options: {},
    mountPoint: 'database/',
  });
  return {
    backend,
    storage,
    send: (operation, path, data = {}, secret) =>
      backend.handleRequest({
        id: 'req-1',
        operation,
        path,
        data,
        storage: view,
        mountPoint: 'database/',
        mountType: 'database',
        clientToken: 'salted',
        displayName,
        headers: {},
        ...(secret === undefined ? {} : { secret }),
      }),
    snapshot: async () => {
      const entries = new Map<string, string>();
      const walk = async (prefix: string): Promise<void> => {
        for (const name of await storage.list(prefix)) {
          if (name.endsWith('/')) await walk(prefix + name);
          else entries.set(prefix + name, (await storage.get(prefix + name))?.value.toString('utf8') ?? '');
        }
      };
      await walk('');
      return entries;
    },
  };
}

/** Writes a request the way the server does: create when nothing exists at the path, else update. */
export async function write(harness: Harness, path: string, data: Record<string, unknown>): Promise<Response | null> {
  const request = { id: 'req-1', operation: 'update' as const, path, data, storage: new StorageView(harness.storage, 'logical/db/'), mountPoint: 'database/', mountType: 'database', clientToken: 'salted', headers: {} };
  const existence = await harness.backend.handleExistenceCheck(request);
  return harness.send(existence.checkFound && !existence.exists ? 'create' : 'update', path, data);
}

/** Builds the lease the server would pass back to renew or revoke a `creds` response. */
export function leaseOf(response: Response | null, increment = 0): LeasedSecret {
  assert.ok(response?.secret !== undefined, 'expected a leased response');
  return { leaseId: 'database/creds/x/1', internalData: response.secret.internalData, ttl: response.secret.ttl, issueTime: new Date().toISOString(), increment };
}

/** Asserts that `request` fails with a 400 and exactly `message`, and that storage did not change. */
export async function assertRejectedUnchanged(harness: Harness, request: () => Promise<unknown>, message: string): Promise<void> {
  const before = await harness.snapshot();
  await assert.rejects(request(), (err: unknown) => {
    assert.ok(isCofferError(err), `expected a CofferError, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.status, 400);
    return true;
  });
  assert.deepEqual(await harness.snapshot(), before);
}

export const quietLogger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return quietLogger;
  },
};

/** Runs one statement on the PostgreSQL test server as its administrator. */
export async function postgresQuery<Row extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** Logs in to PostgreSQL as `user` and returns `current_user`. The test server trusts local logins, so this proves only that the role exists and may log in. */
export async function postgresLogin(user: string): Promise<string> {
  const url = new URL(POSTGRES_URL);
  const client = new pg.Client({ host: url.hostname, port: Number(url.port), database: url.pathname.slice(1), user, password: 'unused' });
  await client.connect();
  try {
    return (await client.query<{ user: string }>('SELECT current_user AS user')).rows[0].user;
  } finally {
    await client.end();
  }
}

/**
 * Checks a password against the SCRAM-SHA-256 verifier PostgreSQL stores,
 * because the test server trusts local logins and never checks passwords.
 */
export async function postgresPasswordMatches(role: string, password: string): Promise<boolean> {
  const rows = await postgresQuery<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
  assert.equal(rows.length, 1, `role "${role}" does not exist`);
  const [, parameters, keys] = rows[0].rolpassword.split('$');
  const [iterations, salt] = parameters.split(':');
  const salted = pbkdf2Sync(password, Buffer.from(salt, 'base64'), Number(iterations), 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
  return keys.split(':')[0] === storedKey;
}

/** Runs one statement on the MariaDB test server as root. */
export async function mariadbQuery(sql: string, values: unknown[] = []): Promise<unknown> {
  const connection = await mysql.createConnection(MARIADB);
  try {
    return (await connection.query(sql, values))[0];
  } finally {
    await connection.end();
  }
}

/** Logs in to MariaDB with a password and returns `CURRENT_USER()`. */
export async function mariadbLogin(user: string, password: string): Promise<string> {
  const connection = await mysql.createConnection({ ...MARIADB, user, password });
  try {
    const [rows] = await connection.query('SELECT CURRENT_USER() AS user');
    return (rows as { user: string }[])[0].user;
  } finally {
    await connection.end();
  }
}

/** Authenticates to the Redis test server and reads a missing key under `cache:`; rejects with the server's error, such as WRONGPASS. */
export async function redisLogin(username: string, password: string): Promise<string | null> {
  const client = new Redis({ host: '127.0.0.1', port: 6379, username, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let failure: Error | undefined;
  client.on('error', (err: Error) => {
    failure = err;
  });
  try {
    await client.connect();
    return await client.get('cache:probe');
  } catch (err) {
    throw failure ?? err;
  } finally {
    client.disconnect();
  }
}

/** Returns `response.data`, failing when there is none. */
export function dataOf(response: Response | null): Record<string, unknown> {
  assert.notEqual(response, null, 'expected a response');
  assert.ok(response!.data !== undefined, 'expected response data');
  assert.notEqual(response!.data, null, 'expected response data');
  return response!.data!;
}
