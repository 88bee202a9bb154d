import assert from 'node:assert/strict';
import { test } from 'node:test';
import { childrenOf, type Storage, type StorageEntry } from '../storage.js';
import { Backend } from './backend.js';
import { rollBackOldEntries, WriteAheadLog, type WalEntry } from './wal.js';

/** A map-backed storage; the SDK cannot depend on the inmem plugin, which depends on it. */
class MapStorage implements Storage {
  private readonly entries = new Map<string, Buffer>();
  async get(key: string): Promise<StorageEntry | null> {
    const value = this.entries.get(key);
    return value === undefined ? null : { key, value };
  }
  async put(entry: StorageEntry): Promise<void> {
    this.entries.set(entry.key, entry.value);
  }
  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
  async list(prefix: string): Promise<string[]> {
    return childrenOf(prefix, this.entries.keys());
  }
}

test('wal rolls back only entries past the minimum age', async () => {
  const log = new WriteAheadLog(new MapStorage());
  const rolled: WalEntry[] = [];
  const oldId = await log.put('user', { name: 'old' }, 0);
  const newId = await log.put('user', { name: 'new' }, 9 * 60_000);

  const count = await rollBackOldEntries({ log, rollback: async (entry) => void rolled.push(entry) }, 10 * 60_000);
  assert.equal(count, 1);
  assert.deepEqual(rolled.map((entry) => entry.data), [{ name: 'old' }]);
  assert.equal(await log.get(oldId), null);
  assert.deepEqual((await log.get(newId))?.data, { name: 'new' });
});

test('wal keeps an entry whose rollback fails', async () => {
  const log = new WriteAheadLog(new MapStorage());
  const id = await log.put('user', { name: 'stuck' }, 0);
  await assert.rejects(
    rollBackOldEntries({ log, rollback: async () => Promise.reject(new Error('database unreachable')) }, 3_600_000),
    /database unreachable/,
  );
  assert.equal((await log.get(id))?.kind, 'user');
});

test('backend periodic runs wal rollback then its own function', async () => {
  const log = new WriteAheadLog(new MapStorage());
  await log.put('user', { name: 'x' }, 0);
  const steps: string[] = [];
  const backend = new Backend({
    backendType: 'logical',
    help: 'test',
    paths: [],
    wal: { log, minAgeSeconds: 0, rollback: async () => void steps.push('rollback') },
    periodic: async () => void steps.push('periodic'),
  });
  await backend.periodic();
  assert.deepEqual(steps, ['rollback', 'periodic']);
  assert.deepEqual(await log.list(), []);
});
