import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Storage, StorageEntry } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { DEFAULT_CONFIG, newKeyMetadata } from './metadata.js';
import { VersionedStore } from './store.js';
import { ManualClock, RecordingLogger } from './test-support.js';

/** Counts reads and can hold the next read, or the next write or delete, of one key until released. */
class GatedStorage implements Storage {
  reads = 0;
  private held: { key: string; release: Promise<void> } | null = null;
  private heldWrite: { key: string; release: Promise<void> } | null = null;

  constructor(private readonly inner: Storage) {}

  /** Holds the next read of `key` until the returned function is called. */
  holdNextRead(key: string): () => void {
    let release!: () => void;
    this.held = { key, release: new Promise<void>((resolve) => (release = resolve)) };
    return release;
  }

  /** Holds the next put or delete of `key`, before it reaches storage, until the returned function is called. */
  holdNextWrite(key: string): () => void {
    let release!: () => void;
    this.heldWrite = { key, release: new Promise<void>((resolve) => (release = resolve)) };
    return release;
  }

  private async waitIfHeld(key: string): Promise<void> {
    const held = this.heldWrite;
    if (held === null || held.key !== key) return;
    this.heldWrite = null;
    await held.release;
  }

  async get(key: string): Promise<StorageEntry | null> {
    this.reads += 1;
    const held = this.held;
    if (held !== null && held.key === key) {
      this.held = null;
      const entry = await this.inner.get(key);
      await held.release;
      return entry;
    }
    return this.inner.get(key);
  }

  async put(entry: StorageEntry): Promise<void> {
    await this.waitIfHeld(entry.key);
    return this.inner.put(entry);
  }

  async delete(key: string): Promise<void> {
    await this.waitIfHeld(key);
    return this.inner.delete(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
}

function setUp(): { store: VersionedStore; storage: GatedStorage; inner: InmemStorage } {
  const inner = new InmemStorage();
  return { store: new VersionedStore(new ManualClock(), new RecordingLogger()), storage: new GatedStorage(inner), inner };
}

describe('metadata cache', () => {
  test('second read served from memory', async () => {
    const { store, storage } = setUp();
    await store.writeMetadata(storage, newKeyMetadata('app', '2024-01-01T00:00:00Z'));

    const first = await store.readMetadata(storage, 'app');
    const second = await store.readMetadata(storage, 'app');

    assert.equal(storage.reads, 0);
    assert.deepEqual(first, second);
    assert.notEqual(first, second, 'each read returns its own object');
  });

  test('cache bounded by total size', async () => {
    // 600 keys with the largest custom metadata allowed take about 25 million
    // characters of JSON, more than the cache keeps, so the first key is dropped.
    const { store, storage } = setUp();
    const customMetadata: Record<string, string> = {};
    for (let index = 0; index < 64; index += 1) customMetadata[`k${index}`.padEnd(128, 'k')] = 'v'.repeat(512);
    for (let index = 0; index < 600; index += 1) {
      await store.writeMetadata(storage, { ...newKeyMetadata(`app${index}`, '2024-01-01T00:00:00Z'), customMetadata });
    }

    await store.readMetadata(storage, 'app599');
    assert.equal(storage.reads, 0, 'the newest key is cached');
    await store.readMetadata(storage, 'app0');
    assert.equal(storage.reads, 1, 'the oldest key was dropped');
  });

  test('oversized entry not cached', async () => {
    const { store, storage } = setUp();
    const meta = newKeyMetadata('app', '2024-01-01T00:00:00Z');
    for (let number = 1; number <= 20_000; number += 1) {
      meta.versions[String(number)] = { createdTime: '2024-01-01T00:00:00Z', deletionTime: '', destroyed: false };
    }
    await store.writeMetadata(storage, meta);

    await store.readMetadata(storage, 'app');
    await store.readMetadata(storage, 'app');

    assert.equal(storage.reads, 2);
  });

  test('caller changes do not reach the cache', async () => {
    const { store, storage } = setUp();
    await store.writeMetadata(storage, newKeyMetadata('app', '2024-01-01T00:00:00Z'));

    const read = await store.readMetadata(storage, 'app');
    read!.currentVersion = 99;

    assert.equal((await store.readMetadata(storage, 'app'))!.currentVersion, 0);
  });

  test('delete removes the cached entry', async () => {
    const { store, storage } = setUp();
    await store.writeMetadata(storage, newKeyMetadata('app', '2024-01-01T00:00:00Z'));

    await store.deleteMetadata(storage, 'app');

    assert.equal(await store.readMetadata(storage, 'app'), null);
  });

  test('slow read does not put back an older value', async () => {
    const { store, storage, inner } = setUp();
    await inner.put({ key: 'metadata/app', value: Buffer.from(JSON.stringify(newKeyMetadata('app', '2024-01-01T00:00:00Z'))) });
    const release = storage.holdNextRead('metadata/app');

    const slowRead = store.readMetadata(storage, 'app');
    const newer = { ...newKeyMetadata('app', '2024-01-01T00:00:00Z'), currentVersion: 2 };
    await store.writeMetadata(storage, newer);
    release();
    assert.equal((await slowRead)!.currentVersion, 0);

    assert.equal((await store.readMetadata(storage, 'app'))!.currentVersion, 2);
  });

  test('read during a delete is not kept', async () => {
    const { store, storage } = setUp();
    await store.writeMetadata(storage, newKeyMetadata('app', '2024-01-01T00:00:00Z'));
    const releaseDelete = storage.holdNextWrite('metadata/app');

    const deleting = store.deleteMetadata(storage, 'app');
    const readDuringDelete = await store.readMetadata(storage, 'app');
    assert.equal(readDuringDelete!.currentVersion, 0, 'storage still has the entry while the delete waits');
    releaseDelete();
    await deleting;

    assert.equal(await store.readMetadata(storage, 'app'), null);
  });

  test('read during a write is not kept', async () => {
    const { store, storage } = setUp();
    await store.writeMetadata(storage, newKeyMetadata('app', '2024-01-01T00:00:00Z'));
    const releaseWrite = storage.holdNextWrite('metadata/app');
    const newer = { ...newKeyMetadata('app', '2024-01-01T00:00:00Z'), currentVersion: 2 };

    const writing = store.writeMetadata(storage, newer);
    const releaseRead = storage.holdNextRead('metadata/app');
    const slowRead = store.readMetadata(storage, 'app');
    releaseWrite();
    await writing;
    releaseRead();
    assert.equal((await slowRead)!.currentVersion, 0, 'the read fetched the entry before the write reached storage');

    assert.equal((await store.readMetadata(storage, 'app'))!.currentVersion, 2);
  });

  test('invalidate drops an entry another node changed', async () => {
    const { store, storage, inner } = setUp();
    await store.writeMetadata(storage, newKeyMetadata('app', '2024-01-01T00:00:00Z'));
    const changed = { ...newKeyMetadata('app', '2024-01-01T00:00:00Z'), currentVersion: 5 };
    await inner.put({ key: 'metadata/app', value: Buffer.from(JSON.stringify(changed)) });

    assert.equal((await store.readMetadata(storage, 'app'))!.currentVersion, 0);
    store.invalidate('metadata/app');

    assert.equal((await store.readMetadata(storage, 'app'))!.currentVersion, 5);
  });
});

describe('config cache', () => {
  test('first read during a write is not kept', async () => {
    const { store, storage } = setUp();
    const releaseRead = storage.holdNextRead('config');

    const slowRead = store.readConfig(storage);
    await store.writeConfig(storage, { ...DEFAULT_CONFIG, maxVersions: 7 });
    releaseRead();
    assert.equal((await slowRead).maxVersions, DEFAULT_CONFIG.maxVersions, 'the read fetched storage before the write');

    assert.equal((await store.readConfig(storage)).maxVersions, 7);
  });
});
