/**
 * A small storage backend served as an external plugin, for the plugin
 * tests: one SQLite table of keys and values in the file its `path` setting
 * names, in WAL mode with full sync, so a put is durable when it returns.
 *
 * For the crash tests, `slow_key_prefix` and `slow_ms` make every put of a
 * key under that prefix wait that long before it writes. For the start-up
 * tests, `create_delay_ms` makes Create wait that long.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { childrenOf, SDK_VERSION, serve, type ClosableStorage, type StorageEntry, type StoragePlugin } from '@coffer/sdk';

class SqliteTableStorage implements ClosableStorage {
  private readonly selectOne: Database.Statement<[string], { value: Buffer }>;
  private readonly upsert: Database.Statement<[string, Buffer]>;
  private readonly deleteOne: Database.Statement<[string]>;
  private readonly selectUnder: Database.Statement<[{ prefix: string }], { key: string }>;

  constructor(
    private readonly db: Database.Database,
    private readonly slow: { prefix: string; ms: number } | undefined,
  ) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
    this.selectOne = db.prepare('SELECT value FROM entries WHERE key = ?');
    this.upsert = db.prepare('INSERT INTO entries (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.deleteOne = db.prepare('DELETE FROM entries WHERE key = ?');
    this.selectUnder = db.prepare('SELECT key FROM entries WHERE substr(key, 1, length(@prefix)) = @prefix');
  }

  async get(key: string): Promise<StorageEntry | null> {
    const row = this.selectOne.get(key);
    return row === undefined ? null : { key, value: Buffer.from(row.value) };
  }

  async put(entry: StorageEntry): Promise<void> {
    if (this.slow !== undefined && entry.key.startsWith(this.slow.prefix)) await sleep(this.slow.ms);
    this.upsert.run(entry.key, entry.value);
  }

  async delete(key: string): Promise<void> {
    this.deleteOne.run(key);
  }

  async list(prefix: string): Promise<string[]> {
    return childrenOf(prefix, this.selectUnder.all({ prefix }).map((row) => row.key));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

const plugin: StoragePlugin = {
  kind: 'storage',
  name: 'coffer-test-sqlite',
  version: '1.0.0',
  sdkVersion: SDK_VERSION,
  settings: ['path', 'slow_key_prefix', 'slow_ms', 'create_delay_ms'],
  async create(settings) {
    if (settings.create_delay_ms !== undefined) await sleep(Number(settings.create_delay_ms));
    const path = settings.path;
    if (path === undefined || path === '') throw new Error('missing setting "path": the SQLite file to store entries in');
    let slow: { prefix: string; ms: number } | undefined;
    if (settings.slow_key_prefix !== undefined) {
      const ms = Number(settings.slow_ms ?? '');
      if (!Number.isInteger(ms) || ms < 0) throw new Error(`invalid setting "slow_ms" "${settings.slow_ms ?? ''}": expected milliseconds as a whole number`);
      slow = { prefix: settings.slow_key_prefix, ms };
    }
    mkdirSync(dirname(path), { recursive: true });
    return new SqliteTableStorage(new Database(path), slow);
  },
};

await serve(plugin);
