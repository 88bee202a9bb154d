/**
 * The mysql storage backend: one table in Vault's layout, in MySQL or
 * MariaDB, reached through a pool of connections (the `mysql2` driver).
 *
 * Layout (Vault's): one row per entry, `vault_key VARBINARY(3072)` as the
 * primary key holding the key's UTF-8 bytes, and `vault_value MEDIUMBLOB`
 * holding the barrier's ciphertext. Keys compare as bytes, so a folder's
 * keys are one range of the primary key: `a/` to `a0`, since `0` follows `/`.
 *
 * Listing reads the folder's range in batches of {@link LIST_BATCH} keys.
 * On meeting a key in a sub-folder it records the sub-folder and restarts
 * the range past it, so a listing costs about one query per sub-folder plus
 * one per batch of direct keys, however many entries lie deeper. Vault's
 * backend reads every key of the subtree with `LIKE 'prefix%'`.
 *
 * Writes: each put and delete is one autocommit statement on InnoDB. Every
 * connection sets a strict `sql_mode`, so a value or key too long for its
 * column fails instead of being cut short.
 */
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { validateStorageKey, type ClosableStorage, type HaStorage, type Lock, type Logger, type StorageEntry } from '@coffer/sdk';
import { haStatements, LOCK_COLUMNS, MysqlLock, timingForTtl, type LockTiming, type QueryOutcome, type SqlValue } from './mysql-ha.js';
import { scrubbedError, scrubTermsOf, type ScrubTerms } from './scrub.js';
import { quoteName, type MysqlSettings } from './settings.js';

/** How long opening a connection may take, in milliseconds. */
const CONNECT_TIMEOUT_MS = 10_000;

/** How long open waits for another server that is creating the same table, in seconds. */
const CREATE_LOCK_TIMEOUT_S = 30;

/** How many keys one listing query reads. */
export const LIST_BATCH = 500;

/** The maximum key length that `vault_key VARBINARY(3072)` stores, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 3072;

/**
 * Set on every new connection. Strict mode turns truncation into an error,
 * and leaving NO_BACKSLASH_ESCAPES and ANSI_QUOTES out keeps the driver's
 * quoting valid whatever the server's default mode is.
 */
const SESSION_SETUP = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO'";

/** The `/` and `0` bytes: `0` is the byte after `/`, so `a0` is the first key past folder `a/`. */
const SLASH = 0x2f;
const AFTER_SLASH = 0x30;

/** The data table's columns and the `information_schema` data types accepted for each. */
const DATA_COLUMNS: ReadonlyArray<[string, readonly string[]]> = [
  ['vault_key', ['varbinary']],
  ['vault_value', ['mediumblob', 'longblob']],
];

/** SQL for the data table, with the qualified, quoted table name filled in. */
export function statements(table: string) {
  return {
    create: `CREATE TABLE IF NOT EXISTS ${table} (
      vault_key   VARBINARY(${MAX_KEY_BYTES}) NOT NULL,
      vault_value MEDIUMBLOB,
      PRIMARY KEY (vault_key)
    ) ENGINE = InnoDB`,
    get: `SELECT vault_value FROM ${table} WHERE vault_key = ?`,
    // VALUES() works on MariaDB and MySQL alike; MySQL 8.0.20 and later only warn that it is deprecated.
    upsert: `INSERT INTO ${table} (vault_key, vault_value) VALUES (?, ?) ON DUPLICATE KEY UPDATE vault_value = VALUES(vault_value)`,
    delete: `DELETE FROM ${table} WHERE vault_key = ?`,
    listFrom: `SELECT vault_key FROM ${table} WHERE vault_key >= ? ORDER BY vault_key LIMIT ${LIST_BATCH}`,
    listRange: `SELECT vault_key FROM ${table} WHERE vault_key >= ? AND vault_key < ? ORDER BY vault_key LIMIT ${LIST_BATCH}`,
  };
}

/** Options for tests; none is a setting of the stanza. */
export interface MysqlStorageOptions {
  /** HA lock timing; derived from the `ha_lock_ttl` setting by default. */
  lockTiming?: LockTiming;
}

/** A driver error after scrubbing, keeping the driver's code (such as `ER_DUP_ENTRY`) for callers that branch on it. */
class StorageError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Storage in one MySQL table. Create it with {@link MysqlStorage.open}. */
export class MysqlStorage implements ClosableStorage, HaStorage {
  private readonly sql: ReturnType<typeof statements>;
  private readonly haSql: ReturnType<typeof haStatements>;
  /** When each pooled connection was set up, to retire it after `max_connection_lifetime`. */
  private readonly connectedAt = new WeakMap<object, number>();
  /** Operations started and not yet settled, which close waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(
    private readonly pool: mysql.Pool,
    private readonly settings: MysqlSettings,
    private readonly terms: ScrubTerms,
    private readonly logger: Logger,
    private readonly lockTiming: LockTiming,
  ) {
    this.sql = statements(qualified(settings, settings.table));
    this.haSql = haStatements(qualified(settings, settings.lockTable));
  }

  /**
   * Connects, creates the database and tables when they are missing, and
   * checks their columns.
   *
   * @throws Error, scrubbed of credentials and hosts, when the server cannot
   *   be reached or a table has a shape this backend cannot use
   */
  static async open(settings: MysqlSettings, logger: Logger, options: MysqlStorageOptions = {}): Promise<MysqlStorage> {
    const pool = mysql.createPool({
      host: settings.host,
      port: settings.port,
      user: settings.username,
      password: settings.password,
      // No `database` option: statements name each table with its database,
      // so connections work before prepare has created the database.
      connectionLimit: settings.maxParallel,
      maxIdle: settings.maxIdleConnections,
      connectTimeout: CONNECT_TIMEOUT_MS,
      ...(settings.tlsCa === undefined ? {} : { ssl: { ca: settings.tlsCa, rejectUnauthorized: true } }),
      multipleStatements: false,
      enableKeepAlive: true,
      charset: 'utf8mb4_bin',
    });
    const storage = new MysqlStorage(pool, settings, scrubTermsOf(settings), logger, options.lockTiming ?? timingForTtl(settings.haLockTtlMs));
    try {
      await storage.prepare();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    logger.info(
      { database: settings.database, table: settings.table, maxParallel: settings.maxParallel, haEnabled: settings.haEnabled, tls: settings.tlsCa !== undefined },
      'mysql storage opened',
    );
    return storage;
  }

  async get(key: string): Promise<StorageEntry | null> {
    const result = await this.run('get', this.sql.get, [keyBytes(key)]);
    if (result.rows.length === 0) return null;
    const value = result.rows[0].vault_value;
    return { key, value: Buffer.isBuffer(value) ? value : Buffer.alloc(0) };
  }

  async put(entry: StorageEntry): Promise<void> {
    const key = keyBytes(entry.key);
    // Copy now: the caller may reuse the buffer while the statement waits for a connection.
    const value = Buffer.from(entry.value);
    await this.run('put', this.sql.upsert, [key, value]);
  }

  async delete(key: string): Promise<void> {
    await this.run('delete', this.sql.delete, [keyBytes(key)]);
  }

  async list(prefix: string): Promise<string[]> {
    const folder = folderBytes(prefix);
    const upper = folder.length === 0 ? undefined : Buffer.concat([folder.subarray(0, -1), Buffer.from([AFTER_SLASH])]);
    const children: string[] = [];
    let lower = folder;

    for (;;) {
      const result =
        upper === undefined ? await this.run('list', this.sql.listFrom, [lower]) : await this.run('list', this.sql.listRange, [lower, upper]);
      let next: Buffer | undefined;
      for (const row of result.rows) {
        const rest = (row.vault_key as Buffer).subarray(folder.length);
        const slash = rest.indexOf(SLASH);
        if (slash === -1) {
          children.push(rest.toString('utf8'));
          continue;
        }
        // A key in a sub-folder: record the folder and skip everything under it.
        children.push(rest.subarray(0, slash + 1).toString('utf8'));
        next = Buffer.concat([folder, rest.subarray(0, slash), Buffer.from([AFTER_SLASH])]);
        break;
      }
      if (next === undefined && result.rows.length < LIST_BATCH) break;
      // After a full batch of direct keys, continue just past the last one.
      lower = next ?? Buffer.concat([result.rows[result.rows.length - 1].vault_key as Buffer, Buffer.from([0])]);
    }
    // Sort in JS: the table's order is UTF-8 byte order, which differs from
    // the UTF-16 code unit order that `childrenOf` defines.
    return children.sort();
  }

  haEnabled(): boolean {
    return this.settings.haEnabled;
  }

  /**
   * Creates a handle on the lock row `key` of the `lock_table`.
   * @throws Error when `ha_enabled` is off, since the lock table may not exist then.
   */
  lockWith(key: string, value: string): Lock {
    if (!this.settings.haEnabled) throw new Error('storage "mysql": HA is not enabled; set "ha_enabled" to "true" to use locks');
    return new MysqlLock((operation, sql, values) => this.run(operation, sql, values), this.haSql, key, value, this.lockTiming, this.logger);
  }

  /** Waits for the operations in flight, then closes every connection. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // mysql2's end() fails every request still waiting for a connection with "Pool is closed".
    await Promise.allSettled([...this.inFlight]);
    await this.pool.end();
    this.logger.info({ database: this.settings.database, table: this.settings.table }, 'mysql storage closed');
  }

  /**
   * Runs one statement as a prepared statement, and scrubs credentials from a driver error.
   * NOTE: statements have no timeout. On a connection that stops responding
   * without being closed, a statement waits, keeping its pool connection busy,
   * until the operating system gives up on the connection. That takes
   * minutes with Linux defaults, and never happens behind a proxy that keeps
   * acknowledging packets. The HA lock is still given up after `ha_lock_ttl`.
   */
  private async run(operation: string, sql: string, values: SqlValue[]): Promise<QueryOutcome> {
    if (this.closed) throw new Error('storage "mysql": the storage is closed');
    const running = this.withConnection(`${operation} failed`, async (connection) => {
      const [result] = await connection.execute(sql, values);
      return outcomeOf(result);
    });
    this.inFlight.add(running);
    try {
      return await running;
    } finally {
      this.inFlight.delete(running);
    }
  }

  /**
   * Lends `work` a pooled connection that has the session settings, and
   * retires the connection afterwards when it is older than
   * `max_connection_lifetime`.
   *
   * A connection that fails with a connection error (mysql2 marks it
   * `fatal`) is destroyed, never returned to the pool. When it was an idle
   * connection from the pool, which the server may have closed meanwhile,
   * `work` runs once more on a new one. Repeating is safe: a put, delete or
   * lock renewal repeated changes nothing more, and a lock insert that had
   * committed fails as a duplicate, after which the next attempt takes over
   * the row it already owns.
   */
  private async withConnection<T>(failure: string, work: (connection: mysql.PoolConnection) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      let connection: mysql.PoolConnection | undefined;
      let reused = false;
      try {
        connection = await this.pool.getConnection();
        reused = this.connectedAt.has(connection.connection);
        if (!reused) {
          await connection.query(SESSION_SETUP);
          this.connectedAt.set(connection.connection, Date.now());
        }
        return await work(connection);
      } catch (err) {
        const broken = connection !== undefined && (err as { fatal?: unknown }).fatal === true;
        if (broken) {
          connection?.destroy();
          connection = undefined;
        }
        const code = (err as { code?: unknown }).code;
        const wrapped = new StorageError(scrubbedError(failure, err, this.terms).message, typeof code === 'string' ? code : undefined);
        if (!broken || !reused || attempt > 1) throw wrapped;
        this.logger.warn({ err: wrapped }, 'mysql pooled connection failed; retrying on a new connection');
      } finally {
        if (connection !== undefined) this.giveBack(connection);
      }
    }
  }

  private giveBack(connection: mysql.PoolConnection): void {
    const lifetime = this.settings.maxConnectionLifetimeMs;
    const since = this.connectedAt.get(connection.connection);
    if (lifetime > 0 && since !== undefined && Date.now() - since >= lifetime) {
      connection.destroy();
      return;
    }
    connection.release();
  }

  /** Creates what is missing, then checks the tables' columns and the server's durability setting. */
  private async prepare(): Promise<void> {
    const { database, table, lockTable } = this.settings;
    await this.createOnce(
      database,
      'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [database],
      `CREATE DATABASE IF NOT EXISTS ${quoteName(database)} CHARACTER SET utf8mb4`,
      `failed to create database ${quoteName(database)}`,
    );
    await this.prepareTable(table, this.sql.create, DATA_COLUMNS);
    if (this.settings.haEnabled) {
      await this.prepareTable(
        lockTable,
        this.haSql.create,
        LOCK_COLUMNS.map(([column, type]) => [column, [type]]),
      );
    }
    await this.checkDurability();
  }

  private async prepareTable(table: string, create: string, columns: ReadonlyArray<[string, readonly string[]]>): Promise<void> {
    const { database } = this.settings;
    await this.createOnce(
      `${database}.${table}`,
      'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [database, table],
      create,
      `failed to create table ${qualified(this.settings, table)}`,
    );
    await this.checkColumns(table, columns);
  }

  /**
   * Runs `create` unless `exists` finds a row, holding a named lock
   * (`GET_LOCK`) so that servers starting together create one at a time.
   * CREATE ... IF NOT EXISTS alone is not enough: the account may lack the
   * CREATE privilege on an object an administrator made, and a creator
   * outside Coffer takes no named lock, so "already exists" is accepted too.
   */
  private async createOnce(name: string, exists: string, existsValues: unknown[], create: string, failure: string): Promise<void> {
    // GET_LOCK names are limited to 64 characters on MySQL, so the object's name is hashed.
    const lockName = `coffer:create:${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
    await this.withConnection(failure, async (connection) => {
      const [found] = await connection.query(exists, existsValues);
      if ((found as unknown[]).length > 0) return;
      const [locked] = await connection.query('SELECT GET_LOCK(?, ?) AS locked', [lockName, CREATE_LOCK_TIMEOUT_S]);
      if ((locked as Array<{ locked: number | null }>)[0]?.locked !== 1) {
        throw new Error(`timed out after ${CREATE_LOCK_TIMEOUT_S}s waiting for another server that is creating ${name}`);
      }
      try {
        await connection.query(create);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'ER_TABLE_EXISTS_ERROR' && code !== 'ER_DB_CREATE_EXISTS') throw err;
      } finally {
        await connection.query('SELECT RELEASE_LOCK(?)', [lockName]);
      }
    });
  }

  private async checkColumns(table: string, expected: ReadonlyArray<[string, readonly string[]]>): Promise<void> {
    const name = qualified(this.settings, table);
    const found = new Map<string, string>();
    await this.withConnection(`failed to read the columns of table ${name}`, async (connection) => {
      const [rows] = await connection.query(
        'SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
        [this.settings.database, table],
      );
      for (const row of rows as Array<{ name: string; type: string }>) found.set(row.name.toLowerCase(), row.type.toLowerCase());
    });
    for (const [column, types] of expected) {
      const type = found.get(column);
      if (type === undefined || !types.includes(type)) {
        throw new Error(
          `storage "mysql": table ${name} has no ${types.join(' or ')} column "${column}"; ` +
            `point setting "${table === this.settings.table ? 'table' : 'lock_table'}" at a table made by Coffer or Vault, or at a new name to have it created`,
        );
      }
    }
  }

  /** Warns when InnoDB does not flush its log at every commit, since an acknowledged write could then be lost in a crash. */
  private async checkDurability(): Promise<void> {
    let flush: unknown;
    await this.withConnection('failed to read innodb_flush_log_at_trx_commit', async (connection) => {
      const [rows] = await connection.query('SELECT @@innodb_flush_log_at_trx_commit AS flush');
      flush = (rows as Array<{ flush: unknown }>)[0]?.flush;
    });
    if (String(flush) !== '1') {
      this.logger.warn(
        { innodbFlushLogAtTrxCommit: flush },
        'mysql server does not flush its log at every commit; a write Coffer acknowledged can be lost if the database server crashes',
      );
    }
  }
}

/** Quotes `database`.`table`. */
function qualified(settings: MysqlSettings, table: string): string {
  return `${quoteName(settings.database)}.${quoteName(table)}`;
}

function outcomeOf(result: unknown): QueryOutcome {
  if (Array.isArray(result)) return { rows: result as Array<Record<string, unknown>>, affectedRows: 0 };
  return { rows: [], affectedRows: (result as { affectedRows?: number }).affectedRows ?? 0 };
}

/** Checks a key and returns its UTF-8 bytes, as `vault_key` stores them. */
function keyBytes(key: string): Buffer {
  const problem = validateStorageKey(key) ?? wellFormed(key);
  if (problem !== null) throw new Error(`storage "mysql": invalid key: ${problem}`);
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length > MAX_KEY_BYTES) {
    throw new Error(`storage "mysql": invalid key: key is ${bytes.length} bytes in UTF-8, more than the maximum of ${MAX_KEY_BYTES} that column "vault_key" stores; use a shorter key`);
  }
  return bytes;
}

/** Turns a list prefix (`` or `a/b/`) into its UTF-8 bytes after checking it. */
function folderBytes(prefix: string): Buffer {
  if (prefix === '') return Buffer.alloc(0);
  const folder = prefix.slice(0, -1);
  const problem = prefix.endsWith('/') ? (validateStorageKey(folder) ?? wellFormed(folder)) : 'must be empty or end with "/"';
  if (problem !== null) throw new Error(`storage "mysql": invalid list prefix ${JSON.stringify(prefix)}: ${problem}`);
  return Buffer.from(prefix, 'utf8');
}

/** Keys are stored as UTF-8, which has no form for a lone surrogate. */
function wellFormed(key: string): string | null {
  return /\p{Surrogate}/u.test(key) ? `key ${JSON.stringify(key)} is not well-formed unicode` : null;
}
