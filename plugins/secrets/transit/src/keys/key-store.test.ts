import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageView, type StorageEntry } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { ManualClock } from '../test-support.js';
import { KeyStore, type KeySpec } from './key-store.js';

const SPEC: KeySpec = {
  type: 'aes256-gcm96',
  derived: false,
  convergentEncryption: false,
  exportable: false,
  allowPlaintextBackup: false,
  autoRotatePeriod: 0,
  keySize: 0,
};

/** Storage that can hold back the result of its next get, to stage a slow read. */
class SlowReadStorage extends InmemStorage {
  private gate: Promise<void> | undefined;
  private release: () => void = () => {};

  holdNextGet(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  releaseGet(): void {
    this.release();
  }

  override async get(key: string): Promise<StorageEntry | null> {
    const gate = this.gate;
    this.gate = undefined;
    const entry = await super.get(key);
    // The entry was read before the gate opens, so a held read returns stale data.
    await gate;
    return entry;
  }
}

describe('KeyStore', () => {
  test('concurrent creates make one key', async () => {
    const store = new KeyStore(new ManualClock());
    const storage = new StorageView(new InmemStorage(), 'mount/');

    const results = await Promise.all([store.create(storage, 'k', SPEC), store.create(storage, 'k', SPEC), store.create(storage, 'k', SPEC)]);

    assert.deepEqual(results.map((result) => result.created), [true, false, false]);
    assert.equal(results[1].policy, results[0].policy);
  });

  test('concurrent rotations each add a version', async () => {
    const store = new KeyStore(new ManualClock());
    const storage = new StorageView(new InmemStorage(), 'mount/');
    await store.create(storage, 'k', SPEC);

    await Promise.all(Array.from({ length: 5 }, () => store.update(storage, 'k', (draft) => store.addVersion(draft))));

    assert.equal((await store.get(storage, 'k'))?.latestVersion, 6);
  });

  test('a failed change leaves the cached key as it was', async () => {
    const store = new KeyStore(new ManualClock());
    const storage = new StorageView(new InmemStorage(), 'mount/');
    const { policy } = await store.create(storage, 'k', SPEC);

    await assert.rejects(
      store.update(storage, 'k', (draft) => {
        draft.deletionAllowed = true;
        throw new Error('rejected');
      }),
      /rejected/,
    );

    assert.equal(await store.get(storage, 'k'), policy);
    assert.equal(policy.deletionAllowed, false);
  });

  test('a read that overlaps a write does not cache the old key', async () => {
    const store = new KeyStore(new ManualClock());
    const backing = new SlowReadStorage();
    const storage = new StorageView(backing, 'mount/');
    await store.create(storage, 'k', SPEC);
    store.invalidate('policy/k');

    backing.holdNextGet();
    const slowRead = store.get(storage, 'k');
    await store.update(storage, 'k', (draft) => store.addVersion(draft));
    backing.releaseGet();

    assert.equal((await slowRead)?.latestVersion, 1);
    assert.equal((await store.get(storage, 'k'))?.latestVersion, 2);
  });

  test('cache size evicts the least recently used key', async () => {
    const store = new KeyStore(new ManualClock());
    const backing = new InmemStorage();
    const storage = new StorageView(backing, 'mount/');
    store.setCacheSize(2);
    await store.create(storage, 'a', SPEC);
    await store.create(storage, 'b', SPEC);
    await store.get(storage, 'a');
    await store.create(storage, 'c', SPEC);

    // 'b' was evicted, so a changed entry in storage shows through; 'a' stays cached.
    await backing.delete('mount/policy/b');
    await backing.delete('mount/policy/a');

    assert.equal(await store.get(storage, 'b'), null);
    assert.notEqual(await store.get(storage, 'a'), null);
  });
});
