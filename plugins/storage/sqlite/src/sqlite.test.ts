import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { silentLogger } from '@coffer/sdk';
import { runStorageConformance } from '@coffer/certify';
import { plugin, SqliteStorage } from './index.js';
import { parseSettings } from './settings.js';

runStorageConformance({
  name: 'sqlite',
  module: new URL('./index.js', import.meta.url).href,
  settings: ({ dir }) => ({ path: join(dir, 'coffer.db') }),
  persistent: true,
});

describe('sqlite storage', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'coffer-sqlite-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function open(name: string, settings: Record<string, string> = {}): Promise<SqliteStorage> {
    const storage = await plugin.create({ path: join(scratch, name), ...settings }, { logger: silentLogger });
    assert.ok(storage instanceof SqliteStorage);
    return storage;
  }

  test('group commit: concurrent writes share few transactions', async () => {
    const storage = await open('group.db');
    await Promise.all(Array.from({ length: 500 }, (_, i) => storage.put({ key: `g/k${i}`, value: Buffer.from(`v${i}`) })));
    const afterPuts = storage.stats;
    assert.equal(afterPuts.writes, 500);
    assert.ok(afterPuts.transactions <= 2, `500 concurrent puts took ${afterPuts.transactions} transactions`);

    await Promise.all([
      ...Array.from({ length: 250 }, (_, i) => storage.delete(`g/k${i}`)),
      ...Array.from({ length: 250 }, (_, i) => storage.put({ key: `h/k${i}`, value: Buffer.from('w') })),
    ]);
    const afterMixed = storage.stats;
    assert.equal(afterMixed.writes, 1000);
    assert.ok(afterMixed.transactions - afterPuts.transactions <= 2);
    assert.equal((await storage.list('g/')).length, 250);
    await storage.close();
  });

  test('group commit: a put resolves only after its commit', async () => {
    const storage = await open('order.db');
    const before = storage.stats.transactions;
    const put = storage.put({ key: 'k', value: Buffer.from('v') });
    // Nothing is committed before the queue is flushed on the next turn.
    assert.equal(storage.stats.transactions, before);
    assert.equal(await storage.get('k'), null);
    await put;
    assert.equal(storage.stats.transactions, before + 1);
    assert.deepEqual((await storage.get('k'))?.value, Buffer.from('v'));
    await storage.close();
  });

  test('group commit: a failed transaction rejects every write in it', async () => {
    const path = join(scratch, 'poison.db');
    const storage = await open('poison.db');
    await storage.put({ key: 'before', value: Buffer.from('kept') });
    // A second connection adds a trigger that fails any insert of key "poison".
    const other = new Database(path);
    other.exec(`CREATE TRIGGER poison BEFORE INSERT ON entries WHEN NEW.name = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END;`);
    other.close();

    const results = await Promise.allSettled([
      storage.put({ key: 'a', value: Buffer.from('1') }),
      storage.put({ key: 'poison', value: Buffer.from('2') }),
      storage.delete('before'),
      storage.put({ key: 'b', value: Buffer.from('3') }),
    ]);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.match((result as PromiseRejectedResult).reason.message, /^storage "sqlite": write transaction of 4 writes failed: poisoned$/);
    }
    assert.equal(await storage.get('a'), null);
    assert.equal(await storage.get('b'), null);
    assert.deepEqual((await storage.get('before'))?.value, Buffer.from('kept'));
    assert.deepEqual(await storage.list(''), ['before']);
    assert.equal(storage.stats.failures, 1);

    // The next batch without the poisoned key commits.
    await storage.put({ key: 'a', value: Buffer.from('1') });
    assert.deepEqual(await storage.list(''), ['a', 'before']);
    await storage.close();
  });

  test('list uses the folder index, not a scan', async () => {
    const path = join(scratch, 'plan.db');
    const storage = await open('plan.db');
    await storage.put({ key: 'a/b/c', value: Buffer.from('v') });
    await storage.close();
    const db = new Database(path, { readonly: true });
    for (const sql of ['SELECT name FROM entries WHERE parent = ?', 'SELECT name FROM folders WHERE parent = ?']) {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('a/') as Array<{ detail: string }>;
      assert.match(plan.map((row) => row.detail).join('; '), /SEARCH .* USING PRIMARY KEY \(parent=\?\)/);
    }
    db.close();
  });

  test('folders table follows puts and deletes', async () => {
    const path = join(scratch, 'folders.db');
    const storage = await open('folders.db');
    await storage.put({ key: 'a/b/c/d', value: Buffer.from('v') });
    await storage.put({ key: 'a/x', value: Buffer.from('v') });
    await storage.delete('a/b/c/d');
    await storage.close();
    const db = new Database(path, { readonly: true });
    assert.deepEqual(db.prepare('SELECT parent, name FROM folders ORDER BY parent, name').all(), [{ parent: '', name: 'a' }]);
    db.close();
  });

  test('opens in WAL mode with synchronous FULL by default', async () => {
    const storage = await open('pragmas.db');
    await storage.close();
    const db = new Database(join(scratch, 'pragmas.db'));
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    db.close();
  });

  test('closed storage rejects every operation', async () => {
    const storage = await open('closed.db');
    await storage.close();
    await storage.close();
    for (const operation of [storage.get('k'), storage.put({ key: 'k', value: Buffer.from('v') }), storage.delete('k'), storage.list('')]) {
      await assert.rejects(operation, { message: 'storage "sqlite": the storage is closed' });
    }
  });

  test('settings: each problem names the setting', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'storage "sqlite": missing required setting "path"'],
      [{ path: '' }, 'storage "sqlite": setting "path" must not be empty'],
      [{ path: ':memory:' }, 'storage "sqlite": setting "path" must name a database file, not ":memory:"'],
      [{ path: 'x.db', synchronous: 'off' }, 'storage "sqlite": setting "synchronous" must be one of full, extra, normal, not "off"'],
      [{ path: 'x.db', busy_timeout: 'soon' }, 'storage "sqlite": setting "busy_timeout" must be a duration such as "5s" or "1m", not "soon"'],
      [{ path: 'x.db', busy_timeout: '30d' }, 'storage "sqlite": setting "busy_timeout" must be at most 596h31m23s, not "30d"'],
    ];
    for (const [settings, message] of cases) {
      assert.throws(() => parseSettings(settings), { message });
      await assert.rejects(plugin.create(settings, { logger: silentLogger }), { message });
    }
    assert.deepEqual(parseSettings({ path: 'x.db' }), { path: 'x.db', synchronous: 'full', busyTimeoutMs: 5000 });
    assert.deepEqual(parseSettings({ path: 'x.db', synchronous: 'NORMAL', busy_timeout: '1m' }), {
      path: 'x.db',
      synchronous: 'normal',
      busyTimeoutMs: 60_000,
    });
    assert.deepEqual([...plugin.settings], ['path', 'synchronous', 'busy_timeout']);
  });

  test('settings: a folder or a foreign file as path is an error', async () => {
    await assert.rejects(plugin.create({ path: scratch }, { logger: silentLogger }), {
      message: `storage "sqlite": setting "path" names "${scratch}", which is a folder; name a database file`,
    });
    const foreign = join(scratch, 'foreign.db');
    await writeFile(foreign, 'this is not a database, just text long enough to fill a header page '.repeat(10));
    await assert.rejects(plugin.create({ path: foreign }, { logger: silentLogger }), {
      message: `storage "sqlite": cannot open database "${foreign}": file is not a database`,
    });
  });

  test('a newer schema version is refused', async () => {
    const path = join(scratch, 'newer.db');
    const db = new Database(path);
    db.pragma('user_version = 9');
    db.close();
    await assert.rejects(plugin.create({ path }, { logger: silentLogger }), {
      message: `storage "sqlite": cannot open database "${path}": its schema version 9 is newer than this Coffer's (1)`,
    });
  });
});
