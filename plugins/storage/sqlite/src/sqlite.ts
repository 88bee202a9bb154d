/**
 * The sqlite storage backend, Coffer's embedded default.
 *
 * Layout: each key is stored as its parent folder (`a/b/`, or `` at the
 * root) and its last segment, which together form the primary key, so a
 * get is one point lookup and the keys of a folder are one index range.
 * A second table holds every folder that has a key below it, kept up to
 * date by put and delete in the same transaction, so listing the folders
 * of a folder is an index range too and never scans a subtree.
 *
 * Writes: puts and deletes are queued and applied together in one
 * transaction on the next turn of the event loop (group commit). Each
 * caller's promise settles after the commit that covers its write: it
 * resolves once the transaction is durable (WAL with `synchronous=FULL` by
 * default) and rejects, with every other write of the batch, when the
 * transaction fails. Reads see committed data only.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { validateStorageKey, type ClosableStorage, type Logger, type StorageEntry } from '@coffer/sdk';
import type { SqliteSettings } from './settings.js';

/** The schema version this code writes, kept in `PRAGMA user_version`. */
const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS entries (
    parent TEXT NOT NULL,
    name   TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (parent, name)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS folders (
    parent TEXT NOT NULL,
    name   TEXT NOT NULL,
    PRIMARY KEY (parent, name)
  ) WITHOUT ROWID;
`;

/** Counts since the storage was opened, for tests and metrics. */
export interface SqliteCommitStats {
  /** Write transactions committed. */
  transactions: number;
  /** Puts and deletes those transactions carried. */
  writes: number;
  /** Write transactions that failed and rejected their writes. */
  failures: number;
}

/** A queued put (with a value) or delete (value `null`). */
interface PendingWrite {
  parent: string;
  name: string;
  value: Buffer | null;
  resolve(): void;
  reject(err: Error): void;
}

/** Storage in one SQLite database. Create it with {@link SqliteStorage.open}. */
export class SqliteStorage implements ClosableStorage {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepare>;
  private readonly applyBatch: (batch: PendingWrite[]) => void;
  private readonly logger: Logger;
  private queue: PendingWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly counts: SqliteCommitStats = { transactions: 0, writes: 0, failures: 0 };

  private constructor(db: Database.Database, logger: Logger) {
    this.db = db;
    this.logger = logger;
    this.statements = prepare(db);
    this.applyBatch = db.transaction((batch: PendingWrite[]) => {
      for (const write of batch) {
        if (write.value === null) this.deleteRow(write.parent, write.name);
        else this.putRow(write.parent, write.name, write.value);
      }
    });
  }

  /**
   * Opens (or creates) the database, in WAL mode with the configured
   * `synchronous` level, and creates the schema when the file is new.
   *
   * @throws Error when the file is not a Coffer database of a version this code reads
   */
  static open(settings: SqliteSettings, logger: Logger): SqliteStorage {
    const path = resolve(settings.path);
    const existing = statOrNull(path);
    if (existing?.isDirectory()) {
      throw new Error(`storage "sqlite": setting "path" names "${path}", which is a folder; name a database file`);
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });

    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: settings.busyTimeoutMs });
      configure(db, settings);
      const storage = new SqliteStorage(db, logger);
      logger.info({ path, synchronous: settings.synchronous }, 'sqlite storage opened');
      return storage;
    } catch (err) {
      db?.close();
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`storage "sqlite": cannot open database "${path}": ${message}`, { cause: err });
    }
  }

  /** Commit counts since open; the group commit test reads them. */
  get stats(): Readonly<SqliteCommitStats> {
    return { ...this.counts };
  }

  async get(key: string): Promise<StorageEntry | null> {
    const [parent, name] = splitKey(key);
    this.checkOpen();
    const value = this.statements.get.get(parent, name) as Buffer | undefined;
    return value === undefined ? null : { key, value };
  }

  put(entry: StorageEntry): Promise<void> {
    // Copy now: the write is applied on a later turn, and the caller may reuse its buffer.
    return this.enqueue(entry.key, Buffer.from(entry.value));
  }

  delete(key: string): Promise<void> {
    return this.enqueue(key, null);
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    this.checkOpen();
    const keys = this.statements.listKeys.all(prefix) as string[];
    const folders = this.statements.listFolders.all(prefix) as string[];
    // Sort in JS: SQLite's BINARY order is UTF-8 byte order, which differs
    // from the UTF-16 code unit order that `childrenOf` defines.
    return [...keys, ...folders.map((folder) => folder + '/')].sort();
  }

  /** Commits the writes still queued, then closes the database. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
    this.logger.info({ ...this.counts }, 'sqlite storage closed');
  }

  private enqueue(key: string, value: Buffer | null): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const [parent, name] = splitKey(key);
      this.checkOpen();
      this.queue.push({ parent, name, value, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Applies every queued write in one transaction and settles their promises. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];

    try {
      this.applyBatch(batch);
    } catch (err) {
      this.counts.failures++;
      this.logger.error({ err, writes: batch.length }, 'sqlite storage transaction failed');
      const message = err instanceof Error ? err.message : String(err);
      const failure = new Error(`storage "sqlite": write transaction of ${batch.length} writes failed: ${message}`, { cause: err });
      for (const write of batch) write.reject(failure);
      return;
    }

    this.counts.transactions++;
    this.counts.writes += batch.length;
    for (const write of batch) write.resolve();
  }

  private putRow(parent: string, name: string, value: Buffer): void {
    this.statements.upsert.run(parent, name, value);
    // Record the folders above the key, stopping at the first one already
    // recorded: a recorded folder always has its own parents recorded.
    for (let folder = parent; folder !== ''; ) {
      const [above, folderName] = splitFolder(folder);
      if (this.statements.addFolder.run(above, folderName).changes === 0) return;
      folder = above;
    }
  }

  private deleteRow(parent: string, name: string): void {
    if (this.statements.deleteEntry.run(parent, name).changes === 0) return;
    // Forget the folders that no longer hold anything, bottom up.
    for (let folder = parent; folder !== ''; ) {
      if (this.statements.folderInUse.get({ folder }) !== 0) return;
      const [above, folderName] = splitFolder(folder);
      this.statements.removeFolder.run(above, folderName);
      folder = above;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('storage "sqlite": the storage is closed');
  }
}

function prepare(db: Database.Database) {
  return {
    get: db.prepare('SELECT value FROM entries WHERE parent = ? AND name = ?').pluck(),
    upsert: db.prepare(
      'INSERT INTO entries (parent, name, value) VALUES (?, ?, ?) ON CONFLICT (parent, name) DO UPDATE SET value = excluded.value',
    ),
    deleteEntry: db.prepare('DELETE FROM entries WHERE parent = ? AND name = ?'),
    addFolder: db.prepare('INSERT OR IGNORE INTO folders (parent, name) VALUES (?, ?)'),
    removeFolder: db.prepare('DELETE FROM folders WHERE parent = ? AND name = ?'),
    folderInUse: db
      .prepare('SELECT EXISTS (SELECT 1 FROM entries WHERE parent = @folder) OR EXISTS (SELECT 1 FROM folders WHERE parent = @folder)')
      .pluck(),
    listKeys: db.prepare('SELECT name FROM entries WHERE parent = ?').pluck(),
    listFolders: db.prepare('SELECT name FROM folders WHERE parent = ?').pluck(),
  };
}

/** Sets the journal and sync modes and creates or checks the schema. */
function configure(db: Database.Database, settings: SqliteSettings): void {
  const journal = db.pragma('journal_mode = WAL', { simple: true });
  if (journal !== 'wal') throw new Error(`the database refused WAL journal mode (it reports "${String(journal)}")`);
  db.pragma(`synchronous = ${settings.synchronous.toUpperCase()}`);

  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`its schema version ${version} is newer than this Coffer's (${SCHEMA_VERSION})`);
  }
  if (version < SCHEMA_VERSION) {
    db.exec(`BEGIN; ${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
  }
}

/** Splits a key into its parent folder (with trailing `/`, or ``) and its last segment. */
function splitKey(key: string): [string, string] {
  const problem = validateStorageKey(key) ?? wellFormed(key);
  if (problem !== null) throw new Error(`storage "sqlite": invalid key: ${problem}`);
  const slash = key.lastIndexOf('/');
  return [key.slice(0, slash + 1), key.slice(slash + 1)];
}

/** Splits a folder `a/b/` into its own parent `a/` and its name `b`. */
function splitFolder(folder: string): [string, string] {
  const slash = folder.lastIndexOf('/', folder.length - 2);
  return [folder.slice(0, slash + 1), folder.slice(slash + 1, -1)];
}

function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  const folder = prefix.slice(0, -1);
  const problem = prefix.endsWith('/') ? (validateStorageKey(folder) ?? wellFormed(folder)) : 'must be empty or end with "/"';
  if (problem !== null) throw new Error(`storage "sqlite": invalid list prefix ${JSON.stringify(prefix)}: ${problem}`);
}

/** SQLite stores text as UTF-8, which would turn every lone surrogate into U+FFFD and merge such keys. */
function wellFormed(key: string): string | null {
  return /\p{Surrogate}/u.test(key) ? `key ${JSON.stringify(key)} is not well-formed unicode` : null;
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
