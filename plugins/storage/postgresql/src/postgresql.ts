/**
 * The postgresql storage backend: one table in Vault's layout, reached
 * through a pool of connections.
 *
 * Layout (Vault's): key `a/b/c` is the row `parent_path = '/a/'`,
 * `path = '/a/b/'`, `key = 'c'`; a key at the root has `path = '/'` and
 * `parent_path = ''`. The primary key is `(path, key)`, so a get is one
 * index lookup and the keys of a folder are one index range.
 *
 * Listing folders: a query for rows whose `parent_path` starts with the
 * prefix would read the whole subtree. A recursive query walks the primary
 * key instead: it finds the first `path` below the prefix,
 * takes its first folder, then jumps past everything under that folder
 * (`path >= '<prefix><folder>0'`, since `0` follows `/` in byte order).
 * That is one index probe per child folder, however many keys lie below.
 * The jump relies on byte order, so the `path` column must use the "C"
 * collation, as Vault's schema declares; open checks it.
 *
 * Writes: each put and delete is one autocommit statement, acknowledged by
 * PostgreSQL only after its commit record is flushed, because every
 * connection sets `synchronous_commit = on`. Concurrent writes run on
 * separate pool connections, and PostgreSQL flushes their commits together.
 */
import pg from 'pg';
import { validateStorageKey, type ClosableStorage, type HaStorage, type Lock, type Logger, type StorageEntry } from '@coffer/sdk';
import { haStatements, PostgresqlLock, timingForTtl, type LockTiming } from './postgresql-ha.js';
import { scrubbedError, scrubMessage, scrubTermsOf, type ScrubTerms } from './scrub.js';
import { quoteName, type PostgresqlSettings } from './settings.js';

/** How long an operation waits for a free pool connection or a new connection, in milliseconds. */
const CONNECT_TIMEOUT_MS = 30_000;

/** SQL for one table, with the quoted table name filled in; exported for the query plan test. */
export function statements(table: string) {
  return {
    get: `SELECT value FROM ${table} WHERE path = $1 AND key = $2`,
    upsert:
      `INSERT INTO ${table} (parent_path, path, key, value) VALUES ($1, $2, $3, $4) ` +
      'ON CONFLICT (path, key) DO UPDATE SET value = excluded.value',
    delete: `DELETE FROM ${table} WHERE path = $1 AND key = $2`,
    listKeys: `SELECT key FROM ${table} WHERE path = $1`,
    // $1 is the folder, e.g. '/a/', and $2 its upper bound '/a0'. Each step
    // takes the lowest path after the last folder found and cuts it after
    // the segment that follows $1.
    listFolders: `
      WITH RECURSIVE folders(folder) AS (
        SELECT (SELECT substr(path, 1, length($1) + strpos(substr(path, length($1) + 1), '/'))
                  FROM ${table} WHERE path > $1 AND path < $2 ORDER BY path LIMIT 1)
        UNION ALL
        SELECT (SELECT substr(path, 1, length($1) + strpos(substr(path, length($1) + 1), '/'))
                  FROM ${table} WHERE path >= left(folders.folder, -1) || '0' AND path < $2 ORDER BY path LIMIT 1)
          FROM folders WHERE folders.folder IS NOT NULL
      )
      SELECT folder FROM folders WHERE folder IS NOT NULL`,
  };
}

/** The row columns of a storage key. */
interface RowKey {
  parentPath: string;
  path: string;
  key: string;
}

/** Options for tests; none is a setting of the stanza. */
export interface PostgresqlStorageOptions {
  /** HA lock timing; derived from the `ha_lock_ttl` setting by default. */
  lockTiming?: LockTiming;
}

/** Storage in one PostgreSQL table. Create it with {@link PostgresqlStorage.open}. */
export class PostgresqlStorage implements ClosableStorage, HaStorage {
  private readonly sql: ReturnType<typeof statements>;
  private readonly haSql: ReturnType<typeof haStatements>;
  /** Operations started and not yet settled, which close waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly settings: PostgresqlSettings,
    private readonly terms: ScrubTerms,
    private readonly logger: Logger,
    private readonly lockTiming: LockTiming,
  ) {
    this.sql = statements(quoteName(settings.table));
    this.haSql = haStatements(quoteName(settings.haTable));
  }

  /**
   * Connects, creates the table when it is missing, and checks its columns.
   *
   * @throws Error, scrubbed of credentials and hosts, when the database cannot
   *   be reached or the table has a shape this backend cannot use
   */
  static async open(settings: PostgresqlSettings, logger: Logger, options: PostgresqlStorageOptions = {}): Promise<PostgresqlStorage> {
    const terms = scrubTermsOf(settings.connectionUrl);
    const pool = new pg.Pool({
      connectionString: withSynchronousCommit(settings.connectionUrl),
      max: settings.maxParallel,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // An idle connection that the server drops emits here; without a listener it would end the process.
    pool.on('error', (err) => logger.error({ err: { message: scrubMessage(err.message, terms) } }, 'postgresql idle connection failed'));

    const storage = new PostgresqlStorage(pool, settings, terms, logger, options.lockTiming ?? timingForTtl(settings.haLockTtlMs));
    try {
      await storage.prepareTable();
      if (settings.haEnabled) await storage.prepareHaTable();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    logger.info(
      { table: quoteName(settings.table), maxParallel: settings.maxParallel, haEnabled: settings.haEnabled },
      'postgresql storage opened',
    );
    return storage;
  }

  async get(key: string): Promise<StorageEntry | null> {
    const row = splitKey(key);
    const result = await this.query<{ value: Buffer }>('get', this.sql.get, [row.path, row.key]);
    return result.rows.length === 0 ? null : { key, value: result.rows[0].value };
  }

  async put(entry: StorageEntry): Promise<void> {
    const row = splitKey(entry.key);
    // Copy now: the driver reads the buffer when it sends, and the caller may reuse it.
    const value = Buffer.from(entry.value);
    await this.query('put', this.sql.upsert, [row.parentPath, row.path, row.key, value]);
  }

  async delete(key: string): Promise<void> {
    const row = splitKey(key);
    await this.query('delete', this.sql.delete, [row.path, row.key]);
  }

  async list(prefix: string): Promise<string[]> {
    const folder = folderPath(prefix);
    const upper = folder.slice(0, -1) + '0';
    const [keys, folders] = await Promise.all([
      this.query<{ key: string }>('list', this.sql.listKeys, [folder]),
      this.query<{ folder: string }>('list', this.sql.listFolders, [folder, upper]),
    ]);
    const children = [...keys.rows.map((row) => row.key), ...folders.rows.map((row) => row.folder.slice(folder.length))];
    // Sort in JS: "C" order is UTF-8 byte order, which differs from the
    // UTF-16 code unit order that `childrenOf` defines.
    return children.sort();
  }

  haEnabled(): boolean {
    return this.settings.haEnabled;
  }

  /**
   * Creates a handle on the lock row `key` of the `ha_table`.
   * @throws Error when `ha_enabled` is off, since the HA table may not exist then.
   */
  lockWith(key: string, value: string): Lock {
    if (!this.settings.haEnabled) throw new Error('storage "postgresql": HA is not enabled; set "ha_enabled" to "true" to use locks');
    const run = <Row extends pg.QueryResultRow>(operation: string, text: string, values: unknown[]) => this.query<Row>(operation, text, values);
    return new PostgresqlLock(run, this.haSql, key, value, this.lockTiming, this.logger);
  }

  /** Waits for the operations in flight, then closes every connection. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // pg's Pool.end leaves a query that still waits for a connection pending for ever.
    await Promise.allSettled([...this.inFlight]);
    await this.pool.end();
    this.logger.info({ table: quoteName(this.settings.table) }, 'postgresql storage closed');
  }

  /** Runs one statement; a driver error comes back scrubbed. */
  private async query<Row extends pg.QueryResultRow>(operation: string, text: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
    if (this.closed) throw new Error('storage "postgresql": the storage is closed');
    const running = this.pool.query<Row>(text, values);
    this.inFlight.add(running);
    try {
      return await running;
    } catch (err) {
      throw scrubbedError(`${operation} failed`, err, this.terms);
    } finally {
      this.inFlight.delete(running);
    }
  }

  /** Creates the table when missing, then checks that its columns fit. */
  private async prepareTable(): Promise<void> {
    const table = quoteName(this.settings.table);
    await this.createOnce(
      table,
      `CREATE TABLE IF NOT EXISTS ${table} (
         parent_path TEXT COLLATE "C" NOT NULL,
         path        TEXT COLLATE "C",
         key         TEXT COLLATE "C",
         value       BYTEA,
         PRIMARY KEY (path, key)
       )`,
    );
    await this.checkColumns(table);
  }

  /** Creates the HA lock table when missing. */
  private async prepareHaTable(): Promise<void> {
    await this.createOnce(quoteName(this.settings.haTable), this.haSql.create);
  }

  /**
   * Runs a CREATE ... IF NOT EXISTS under a transaction-scoped advisory lock named after
   * the table. Two servers starting together can both pass the existence check of
   * CREATE TABLE IF NOT EXISTS. The loser then fails on the table's name, its row type
   * or its index, and the error code depends on which it met first.
   */
  private async createOnce(table: string, statement: string): Promise<void> {
    let client: pg.PoolClient | undefined;
    let broken = false;
    try {
      client = await this.pool.connect();
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`coffer:create:${table}`]);
      await client.query(statement);
      await client.query('COMMIT');
    } catch (err) {
      if (client) await client.query('ROLLBACK').catch(() => void (broken = true));
      // A creator outside Coffer takes no advisory lock, so it can still win the race.
      // Its table is then used as if Coffer had created it.
      const code = (err as { code?: string }).code;
      if (code !== '23505' && code !== '42P07' && code !== '42710') throw scrubbedError(`failed to create table ${table}`, err, this.terms);
    } finally {
      client?.release(broken);
    }
  }

  private async checkColumns(table: string): Promise<void> {
    const { schema, name } = this.settings.table;
    let result: pg.QueryResult<{ column_name: string; data_type: string; collation_name: string | null }>;
    try {
      result = await this.pool.query(
        `SELECT column_name, data_type, collation_name FROM information_schema.columns
          WHERE table_name = $1 AND table_schema = CASE WHEN $2 = '' THEN current_schema() ELSE $2 END`,
        [name, schema],
      );
    } catch (err) {
      throw scrubbedError(`failed to read the columns of table ${table}`, err, this.terms);
    }
    const columns = new Map(result.rows.map((row) => [row.column_name, row]));
    const expected: Array<[string, string]> = [
      ['parent_path', 'text'],
      ['path', 'text'],
      ['key', 'text'],
      ['value', 'bytea'],
    ];
    for (const [column, type] of expected) {
      const found = columns.get(column);
      if (found === undefined || found.data_type !== type) {
        throw new Error(
          `storage "postgresql": table ${table} has no ${type} column "${column}"; point setting "table" at a table in Vault's layout, or at a new name to have it created`,
        );
      }
    }
    const collation = columns.get('path')?.collation_name ?? null;
    if (collation !== 'C' && collation !== 'POSIX') {
      throw new Error(
        `storage "postgresql": column "path" of table ${table} uses collation "${collation ?? 'the database default'}", ` +
          'but listing needs byte order; run ALTER TABLE ... ALTER COLUMN path TYPE TEXT COLLATE "C", or let Coffer create the table',
      );
    }
  }
}

/**
 * Adds `-c synchronous_commit=on` to the URL's `options` parameter, which
 * PostgreSQL applies at connection start, so an administrator's
 * `synchronous_commit = off` cannot turn an acknowledged put into a lost one.
 */
function withSynchronousCommit(connectionUrl: string): string {
  const url = new URL(connectionUrl);
  const options = url.searchParams.get('options') ?? '';
  url.searchParams.set('options', `${options} -c synchronous_commit=on`.trim());
  return url.toString();
}

/** Splits a key into Vault's three columns. */
function splitKey(key: string): RowKey {
  const problem = validateStorageKey(key) ?? wellFormed(key);
  if (problem !== null) throw new Error(`storage "postgresql": invalid key: ${problem}`);
  const slash = key.lastIndexOf('/');
  const path = '/' + key.slice(0, slash + 1);
  const parentPath = path === '/' ? '' : path.slice(0, path.lastIndexOf('/', path.length - 2) + 1);
  return { parentPath, path, key: key.slice(slash + 1) };
}

/** Turns a list prefix (`` or `a/b/`) into the `path` value of its keys (`/` or `/a/b/`). */
function folderPath(prefix: string): string {
  if (prefix === '') return '/';
  const folder = prefix.slice(0, -1);
  const problem = prefix.endsWith('/') ? (validateStorageKey(folder) ?? wellFormed(folder)) : 'must be empty or end with "/"';
  if (problem !== null) throw new Error(`storage "postgresql": invalid list prefix ${JSON.stringify(prefix)}: ${problem}`);
  return '/' + prefix;
}

/** PostgreSQL stores text as UTF-8, which has no form for a lone surrogate. */
function wellFormed(key: string): string | null {
  return /\p{Surrogate}/u.test(key) ? `key ${JSON.stringify(key)} is not well-formed unicode` : null;
}
