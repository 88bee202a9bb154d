import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHarness, dataOf, MOUNT_PREFIX, type Harness } from './test-support.js';
import { UPGRADE_KEY } from './upgrade.js';

/** Starts a version 2 backend on the storage of `earlier`, as a tune to version 2 does. */
async function upgradeMount(earlier: Harness): Promise<Harness> {
  const upgraded = createHarness('2', earlier.storage);
  await upgraded.backend.initialize();
  return upgraded;
}

async function readCurrent(harness: Harness, path: string): Promise<Record<string, unknown>> {
  return dataOf(await harness.send('read', `data/${path}`));
}

describe('kv upgrade from version 1 to 2', () => {
  test('secrets become version 1', async () => {
    const v1 = createHarness('1');
    await v1.send('create', 'app/db', { password: 's3cret', port: 5432 });
    await v1.send('create', 'top', { a: '1' });

    const v2 = await upgradeMount(v1);

    const read = await readCurrent(v2, 'app/db');
    assert.deepEqual(read.data, { password: 's3cret', port: 5432 });
    assert.equal((read.metadata as Record<string, unknown>).version, 1);
    assert.deepEqual((await readCurrent(v2, 'top')).data, { a: '1' });
    assert.deepEqual(dataOf(await v2.send('list', 'metadata/')).keys, ['app/', 'top']);
    assert.equal(dataOf(await v2.send('read', 'metadata/top')).current_version, 1);
    // The version 1 entries are gone, so nothing is stored twice.
    assert.equal(await v2.storage.get(`${MOUNT_PREFIX}top`), null);
  });

  test('secrets named like storage keys', async () => {
    const v1 = createHarness('1');
    await v1.send('create', 'config', { role: 'config secret' });
    await v1.send('create', 'foo', { role: 'foo' });
    await v1.send('create', 'metadata/foo', { role: 'metadata/foo' });
    await v1.send('create', 'metadata/metadata/foo', { role: 'metadata/metadata/foo' });

    const v2 = await upgradeMount(v1);

    for (const path of ['config', 'foo', 'metadata/foo', 'metadata/metadata/foo']) {
      assert.deepEqual((await readCurrent(v2, path)).data, { role: path === 'config' ? 'config secret' : path });
    }
    assert.deepEqual(dataOf(await v2.send('read', 'config')), { cas_required: false, delete_version_after: '0s', max_versions: 0 });
  });

  test('version 2 data without record kept', async () => {
    // The harness does not initialize its backend, as a mount made before
    // the upgrade record existed never wrote one.
    const earlier = createHarness('2');
    await earlier.send('update', 'config', { max_versions: 3 });
    await earlier.send('create', 'data/app', { data: { a: '1' } });
    await earlier.send('create', 'data/app', { data: { a: '2' } });
    await earlier.send('update', 'metadata/app', { custom_metadata: { owner: 'ops' } });
    const before = await earlier.snapshot();

    const v2 = await upgradeMount(earlier);

    const after = await v2.snapshot();
    after.delete(MOUNT_PREFIX + UPGRADE_KEY);
    assert.deepEqual(after, before);
    const read = await readCurrent(v2, 'app');
    assert.deepEqual(read.data, { a: '2' });
    assert.deepEqual((read.metadata as Record<string, unknown>).custom_metadata, { owner: 'ops' });
    assert.equal(dataOf(await v2.send('read', 'config')).max_versions, 3);
  });

  test('secret shaped like the record', async () => {
    // A version 1 user can store any object at "upgrade", including one that
    // looks like the record, and that must not skip the upgrade of every secret.
    const v1 = createHarness('1');
    const forged = { finishedTime: '2024-01-01T00:00:00Z', upgradedSecrets: 0 };
    await v1.send('create', 'upgrade', forged);
    await v1.send('create', 'app', { a: '1' });

    const v2 = await upgradeMount(v1);

    assert.deepEqual((await readCurrent(v2, 'app')).data, { a: '1' });
    assert.deepEqual((await readCurrent(v2, 'upgrade')).data, forged);
    assert.equal(await v2.storage.get(`${MOUNT_PREFIX}app`), null);
  });

  test('record in the object format replaced', async () => {
    const earlier = createHarness('2');
    await earlier.send('create', 'data/app', { data: { a: '1' } });
    const legacy = { finishedTime: '2024-01-01T00:00:00Z', upgradedSecrets: 0 };
    await earlier.storage.put({ key: MOUNT_PREFIX + UPGRADE_KEY, value: Buffer.from(JSON.stringify(legacy)) });
    const before = await earlier.snapshot();

    const v2 = await upgradeMount(earlier);

    const after = await v2.snapshot();
    const record = JSON.parse(String(after.get(MOUNT_PREFIX + UPGRADE_KEY))) as unknown;
    assert.ok(Array.isArray(record), 'expected the record as a JSON array');
    after.delete(MOUNT_PREFIX + UPGRADE_KEY);
    before.delete(MOUNT_PREFIX + UPGRADE_KEY);
    assert.deepEqual(after, before);
    assert.deepEqual((await readCurrent(v2, 'app')).data, { a: '1' });
  });

  test('interrupted upgrade finishes on restart', async () => {
    const v1 = createHarness('1');
    await v1.send('create', 'foo', { role: 'foo' });
    await v1.send('create', 'metadata/foo', { role: 'metadata/foo' });

    const first = createHarness('2', v1.storage);
    first.faults.failNext('delete', /\/foo$/);
    await assert.rejects(first.backend.initialize(), /injected delete failure/);
    assert.equal(await first.storage.get(MOUNT_PREFIX + UPGRADE_KEY), null);

    const v2 = await upgradeMount(v1);

    assert.deepEqual((await readCurrent(v2, 'foo')).data, { role: 'foo' });
    assert.deepEqual((await readCurrent(v2, 'metadata/foo')).data, { role: 'metadata/foo' });
    assert.equal(dataOf(await v2.send('read', 'metadata/foo')).current_version, 1);
  });

  test('upgrade runs once', async () => {
    const v1 = createHarness('1');
    await v1.send('create', 'top', { a: '1' });
    const v2 = await upgradeMount(v1);
    const before = await v2.snapshot();

    const restarted = await upgradeMount(v2);

    assert.deepEqual(await restarted.snapshot(), before);
  });
});
