import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import { plugin as sqlitePlugin } from '@coffer/storage-sqlite';
import { CountingStorage } from './barrier/test-support.js';
import { Core } from './core.js';
import { restoreIntoServer, takeSnapshot } from './snapshot/snapshot.js';

describe('core physical cache', () => {
  let scratch = '';
  let opened = 0;
  const cleanups: Array<() => Promise<void>> = [];
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'coffer-core-cache-'));
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  /** Starts a core on a fresh SQLite database, initialized and unsealed. */
  async function startCore(cache: { cacheSize?: number; disableCache?: boolean } = {}): Promise<{ core: Core; backend: CountingStorage; unsealKey: string }> {
    opened += 1;
    const sqlite = await sqlitePlugin.create({ path: join(scratch, `core-${opened}.db`) }, { logger: silentLogger });
    const backend = new CountingStorage(sqlite);
    const core = new Core({ physical: backend, storageType: 'sqlite', logger: silentLogger, defaultLeaseTtl: 3600, maxLeaseTtl: 3600, ...cache });
    cleanups.push(async () => {
      await core.sealServer();
      await backend.close();
    });
    await core.load();
    const init = await core.initialize(1, 1);
    const unsealKey = init.keys_base64[0];
    assert.equal(await core.submitUnsealKey(unsealKey), true);
    return { core, backend, unsealKey };
  }

  const text = (entry: { value: Buffer } | null): string | null => (entry === null ? null : entry.value.toString('utf8'));

  test('active core serves reads from the cache', async () => {
    const { core, backend } = await startCore();
    assert.equal(core.physicalCache?.isEnabled, true);
    await core.barrier.put({ key: 'logical/test/x', value: Buffer.from('one') });

    const getsBefore = backend.calls.get;
    assert.equal(text(await core.barrier.get('logical/test/x')), 'one');
    assert.equal(text(await core.barrier.get('logical/test/x')), 'one');
    assert.equal(backend.calls.get, getsBefore);
  });

  test('cache_size bounds the cache', async () => {
    const { core } = await startCore({ cacheSize: 5 });
    for (let i = 0; i < 20; i++) await core.barrier.put({ key: `logical/test/k${i}`, value: Buffer.from(`v${i}`) });
    assert.equal(core.physicalCache?.size, 5);
    assert.equal(text(await core.barrier.get('logical/test/k0')), 'v0');
  });

  test('disable_cache reads every entry from storage', async () => {
    const { core, backend } = await startCore({ disableCache: true });
    assert.equal(core.physicalCache, undefined);
    await core.barrier.put({ key: 'logical/test/x', value: Buffer.from('one') });

    const getsBefore = backend.calls.get;
    assert.equal(text(await core.barrier.get('logical/test/x')), 'one');
    assert.equal(text(await core.barrier.get('logical/test/x')), 'one');
    assert.equal(backend.calls.get, getsBefore + 2);
  });

  test('seal empties and disables the cache', async () => {
    const { core, unsealKey } = await startCore();
    await core.barrier.put({ key: 'logical/test/x', value: Buffer.from('one') });
    assert.ok((core.physicalCache?.size ?? 0) > 0);

    await core.sealServer();
    assert.equal(core.physicalCache?.isEnabled, false);
    assert.equal(core.physicalCache?.size, 0);

    assert.equal(await core.submitUnsealKey(unsealKey), true);
    assert.equal(core.physicalCache?.isEnabled, true);
    assert.equal(text(await core.barrier.get('logical/test/x')), 'one');
  });

  test('keyring reads bypass the cache', async () => {
    const { core, backend } = await startCore();
    const getsBefore = backend.calls.get;
    assert.equal(await core.barrier.isInitialized(), true);
    assert.equal(await core.barrier.isInitialized(), true);
    assert.equal(backend.calls.get, getsBefore + 2);
  });

  test('heartbeats and leases bypass the cache', async () => {
    const { core, backend } = await startCore();
    for (const key of ['core/ha-nodes/0123abcd', 'sys/expire/id/secret/data/x/abc']) {
      await core.barrier.put({ key, value: Buffer.from('v') });
      const getsBefore = backend.calls.get;
      assert.equal(text(await core.barrier.get(key)), 'v', key);
      assert.equal(text(await core.barrier.get(key)), 'v', key);
      assert.equal(backend.calls.get, getsBefore + 2, key);
    }
  });

  test('snapshot restore leaves no stale entry', async () => {
    const { core, backend, unsealKey } = await startCore();
    await core.barrier.put({ key: 'logical/test/x', value: Buffer.from('in the snapshot') });
    const snapshot = await takeSnapshot(backend, { clusterId: core.clusterId, storageType: 'sqlite' });
    await core.barrier.put({ key: 'logical/test/x', value: Buffer.from('after the snapshot') });
    await core.barrier.put({ key: 'logical/test/y', value: Buffer.from('only after') });
    assert.equal(text(await core.barrier.get('logical/test/x')), 'after the snapshot');

    await restoreIntoServer(core, backend, snapshot, false);
    assert.equal(core.sealed, true);
    assert.equal(core.physicalCache?.size, 0);
    assert.equal(await core.submitUnsealKey(unsealKey), true);

    assert.equal(text(await core.barrier.get('logical/test/x')), 'in the snapshot');
    assert.equal(await core.barrier.get('logical/test/y'), null);
  });
});
