import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { silentLogger, type ClosableStorage, type StorageEntry } from '@coffer/sdk';
import { plugin as sqlitePlugin } from '@coffer/storage-sqlite';
import { PhysicalCache } from './physical-cache.js';
import { CountingStorage } from './test-support.js';

describe('physical cache', () => {
  let scratch = '';
  let opened = 0;
  const cleanups: Array<() => Promise<void>> = [];
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'coffer-physical-cache-'));
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  /** Opens a fresh SQLite database behind a counting decorator and an enabled cache of `maxEntries`. */
  async function open(maxEntries = 100, uncached: string[] = []): Promise<{ path: string; sqlite: ClosableStorage; backend: CountingStorage; cache: PhysicalCache }> {
    opened += 1;
    const path = join(scratch, `cache-${opened}.db`);
    const sqlite = await sqlitePlugin.create({ path }, { logger: silentLogger });
    cleanups.push(() => sqlite.close());
    const backend = new CountingStorage(sqlite);
    const cache = new PhysicalCache(backend, { maxEntries, uncached });
    cache.enable();
    return { path, sqlite, backend, cache };
  }

  const value = (text: string): Buffer => Buffer.from(text);
  const valueOf = (entry: StorageEntry | null): string | null => (entry === null ? null : entry.value.toString('utf8'));

  test('hit skips the backend', async () => {
    const { sqlite, backend, cache } = await open();
    await sqlite.put({ key: 'a/b', value: value('one') });

    assert.equal(valueOf(await cache.get('a/b')), 'one');
    assert.equal(backend.calls.get, 1);
    assert.equal(valueOf(await cache.get('a/b')), 'one');
    assert.equal(valueOf(await cache.get('a/b')), 'one');
    assert.equal(backend.calls.get, 1);
    assert.deepEqual(cache.stats, { hits: 2, misses: 1 });
  });

  test('absent key is cached as absent', async () => {
    const { backend, cache } = await open();
    assert.equal(await cache.get('missing'), null);
    assert.equal(await cache.get('missing'), null);
    assert.equal(backend.calls.get, 1);

    await cache.put({ key: 'missing', value: value('now here') });
    assert.equal(valueOf(await cache.get('missing')), 'now here');
    assert.equal(backend.calls.get, 1, 'the written value is served from the cache');
  });

  test('put replaces the cached value', async () => {
    const { sqlite, backend, cache } = await open();
    await cache.put({ key: 'k', value: value('old') });
    assert.equal(valueOf(await cache.get('k')), 'old');
    await cache.put({ key: 'k', value: value('new') });

    assert.equal(valueOf(await cache.get('k')), 'new');
    assert.equal(backend.calls.get, 0);
    assert.equal(valueOf(await sqlite.get('k')), 'new');
  });

  test('delete caches the key as absent', async () => {
    const { sqlite, backend, cache } = await open();
    await cache.put({ key: 'k', value: value('v') });
    assert.equal(valueOf(await cache.get('k')), 'v');
    await cache.delete('k');

    assert.equal(await cache.get('k'), null);
    assert.equal(backend.calls.get, 0);
    assert.equal(await sqlite.get('k'), null);
  });

  test('failed put leaves no stale value', async () => {
    const { path, backend, cache } = await open();
    await cache.put({ key: 'locked', value: value('committed') });
    assert.equal(valueOf(await cache.get('locked')), 'committed');
    // A second connection adds triggers that make SQLite reject any write of "locked".
    const other = new Database(path);
    other.exec(`CREATE TRIGGER reject_insert BEFORE INSERT ON entries WHEN NEW.name = 'locked' BEGIN SELECT RAISE(ABORT, 'locked by test'); END;`);
    other.exec(`CREATE TRIGGER reject_update BEFORE UPDATE ON entries WHEN NEW.name = 'locked' BEGIN SELECT RAISE(ABORT, 'locked by test'); END;`);
    other.close();

    await assert.rejects(cache.put({ key: 'locked', value: value('never stored') }), {
      message: 'storage "sqlite": write transaction of 1 writes failed: locked by test',
    });
    const getsBefore = backend.calls.get;
    assert.equal(valueOf(await cache.get('locked')), 'committed');
    assert.equal(backend.calls.get, getsBefore + 1, 'the failed put dropped the cached entry, so the read went to the backend');
    assert.equal(valueOf(await cache.get('locked')), 'committed');
    assert.equal(backend.calls.get, getsBefore + 1);
  });

  test('failed delete leaves no stale absence', async () => {
    const { path, cache } = await open();
    await cache.put({ key: 'kept', value: value('still here') });
    const other = new Database(path);
    other.exec(`CREATE TRIGGER reject_delete BEFORE DELETE ON entries WHEN OLD.name = 'kept' BEGIN SELECT RAISE(ABORT, 'kept by test'); END;`);
    other.close();

    await assert.rejects(cache.delete('kept'), { message: 'storage "sqlite": write transaction of 1 writes failed: kept by test' });
    assert.equal(valueOf(await cache.get('kept')), 'still here');
  });

  test('read begun before a put is not cached', async () => {
    const { sqlite, backend, cache } = await open();
    await sqlite.put({ key: 'k', value: value('before') });

    const release = backend.hold('get');
    const earlyRead = cache.get('k');
    await backend.heldCallReached();
    await cache.put({ key: 'k', value: value('after') });
    release();

    assert.equal(valueOf(await earlyRead), 'before', 'the read was ordered before the put');
    assert.equal(valueOf(await cache.get('k')), 'after');
    assert.equal(valueOf(await sqlite.get('k')), 'after');
  });

  test('read during a pending put is not cached', async () => {
    const { sqlite, backend, cache } = await open();
    await sqlite.put({ key: 'k', value: value('committed') });

    // SQLite applies a put on the next turn of the event loop, so the read below runs before the commit.
    const put = cache.put({ key: 'k', value: value('pending') });
    assert.equal(valueOf(await cache.get('k')), 'committed');
    await put;

    const getsBefore = backend.calls.get;
    assert.equal(valueOf(await cache.get('k')), 'pending');
    assert.equal(backend.calls.get, getsBefore, 'the put cached its value, not the read');
  });

  test('overlapping puts cache nothing', async () => {
    const { backend, cache } = await open();
    await Promise.all([cache.put({ key: 'k', value: value('first') }), cache.put({ key: 'k', value: value('second') })]);

    const getsBefore = backend.calls.get;
    assert.equal(valueOf(await cache.get('k')), 'second');
    assert.equal(backend.calls.get, getsBefore + 1);
  });

  test('concurrent misses share one read', async () => {
    const { sqlite, backend, cache } = await open();
    await sqlite.put({ key: 'k', value: value('v') });

    const values = await Promise.all([cache.get('k'), cache.get('k'), cache.get('k')]);
    assert.deepEqual(values.map(valueOf), ['v', 'v', 'v']);
    assert.equal(backend.calls.get, 1);
  });

  test('failed read is not cached', async () => {
    const { sqlite, backend, cache } = await open();
    await sqlite.put({ key: 'k', value: value('v') });
    await sqlite.close();

    await assert.rejects(cache.get('k'), { message: 'storage "sqlite": the storage is closed' });
    await assert.rejects(cache.get('k'), { message: 'storage "sqlite": the storage is closed' });
    assert.equal(backend.calls.get, 2);
    assert.equal(cache.size, 0);
  });

  test('lru evicts at the size bound', async () => {
    const { sqlite, backend, cache } = await open(2);
    for (const key of ['a', 'b', 'c']) await sqlite.put({ key, value: value(key) });

    await cache.get('a');
    await cache.get('b');
    await cache.get('a');
    assert.equal(backend.calls.get, 2);
    // "b" is now the least recently used, so reading "c" evicts it.
    await cache.get('c');
    assert.equal(cache.size, 2);
    assert.equal(backend.calls.get, 3);

    assert.equal(valueOf(await cache.get('a')), 'a');
    assert.equal(valueOf(await cache.get('c')), 'c');
    assert.equal(backend.calls.get, 3);
    assert.equal(valueOf(await cache.get('b')), 'b');
    assert.equal(backend.calls.get, 4);
    assert.equal(cache.size, 2);
  });

  test('writes count towards the size bound', async () => {
    const { cache } = await open(3);
    for (let i = 0; i < 10; i++) await cache.put({ key: `k${i}`, value: value(`v${i}`) });
    assert.equal(cache.size, 3);
  });

  test('uncached keys always reach the backend', async () => {
    const { sqlite, backend, cache } = await open(100, ['core/keyring', 'core/ha-nodes/']);
    await sqlite.put({ key: 'core/keyring', value: value('ring') });
    await sqlite.put({ key: 'core/ha-nodes/n1', value: value('beat 1') });
    await sqlite.put({ key: 'core/keyring-other', value: value('cached') });

    assert.equal(valueOf(await cache.get('core/keyring')), 'ring');
    assert.equal(valueOf(await cache.get('core/ha-nodes/n1')), 'beat 1');
    assert.equal(valueOf(await cache.get('core/keyring-other')), 'cached');
    assert.equal(backend.calls.get, 3);

    // Another writer updates the heartbeat behind the cache's back.
    await sqlite.put({ key: 'core/ha-nodes/n1', value: value('beat 2') });
    assert.equal(valueOf(await cache.get('core/ha-nodes/n1')), 'beat 2');
    assert.equal(valueOf(await cache.get('core/keyring')), 'ring');
    assert.equal(valueOf(await cache.get('core/keyring-other')), 'cached');
    assert.equal(backend.calls.get, 5);
    assert.equal(cache.size, 1);
  });

  test('disabled cache reads the backend', async () => {
    const { sqlite, backend, cache } = await open();
    await cache.put({ key: 'k', value: value('v') });
    assert.equal(cache.size, 1);
    cache.disable();
    assert.equal(cache.size, 0);
    assert.equal(cache.isEnabled, false);

    await sqlite.put({ key: 'k', value: value('changed elsewhere') });
    assert.equal(valueOf(await cache.get('k')), 'changed elsewhere');
    assert.equal(valueOf(await cache.get('k')), 'changed elsewhere');
    await cache.put({ key: 'k', value: value('through') });
    assert.equal(cache.size, 0);
    assert.equal(backend.calls.get, 2);
  });

  test('enable starts empty', async () => {
    const { sqlite, cache } = await open();
    await cache.put({ key: 'k', value: value('cached') });
    cache.disable();
    await sqlite.put({ key: 'k', value: value('written by another node') });
    cache.enable();

    assert.equal(cache.size, 0);
    assert.equal(valueOf(await cache.get('k')), 'written by another node');
  });

  test('read begun before a clear is not cached', async () => {
    const { sqlite, backend, cache } = await open();
    await sqlite.put({ key: 'k', value: value('old') });

    const release = backend.hold('get');
    const earlyRead = cache.get('k');
    await backend.heldCallReached();
    cache.disable();
    await sqlite.put({ key: 'k', value: value('new') });
    cache.enable();
    release();

    assert.equal(valueOf(await earlyRead), 'old');
    assert.equal(cache.size, 0);
    assert.equal(valueOf(await cache.get('k')), 'new');
  });

  test('put pending across enable is not undercut', async () => {
    const { sqlite, cache } = await open();
    cache.disable();
    await sqlite.put({ key: 'k', value: value('old') });

    // A write that starts while the cache is disabled and commits after it is enabled.
    const put = cache.put({ key: 'k', value: value('new') });
    cache.enable();
    assert.equal(valueOf(await cache.get('k')), 'old');
    await put;
    assert.equal(valueOf(await cache.get('k')), 'new');
  });

  test('put settling after a clear is not cached', async () => {
    const { sqlite, backend, cache } = await open();
    await sqlite.put({ key: 'k', value: value('old') });

    // The put commits, then settles only after another writer's commit and a new enable.
    const release = backend.hold('put');
    const put = cache.put({ key: 'k', value: value('ours') });
    await backend.heldCallReached();
    cache.disable();
    await sqlite.put({ key: 'k', value: value('theirs') });
    cache.enable();
    release();
    await put;

    assert.equal(valueOf(await cache.get('k')), 'theirs');
  });

  test('list goes to the backend', async () => {
    const { backend, cache } = await open();
    await cache.put({ key: 'f/a', value: value('1') });
    assert.deepEqual(await cache.list('f/'), ['a']);
    await cache.put({ key: 'f/b', value: value('2') });
    assert.deepEqual(await cache.list('f/'), ['a', 'b']);
    assert.equal(backend.calls.list, 2);
  });

  test('size must be positive', async () => {
    const { sqlite } = await open();
    assert.throws(() => new PhysicalCache(sqlite, { maxEntries: 0 }), {
      message: 'invalid physical cache size 0: expected a positive integer',
    });
    assert.throws(() => new PhysicalCache(sqlite, { maxEntries: 1.5 }), {
      message: 'invalid physical cache size 1.5: expected a positive integer',
    });
  });
});
