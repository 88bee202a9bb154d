import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger, StorageView } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { plugin } from './index.js';
import { MountSalt } from './salt.js';
import { assertRejects, createHarness } from './test-support.js';

describe('approle backend', () => {
  test('plugin metadata', () => {
    assert.equal(plugin.kind, 'auth');
    assert.equal(plugin.name, 'approle');
    assert.equal(plugin.sdkVersion, '0.1.0');
  });

  test('factory makes a credential backend', async () => {
    const backend = await plugin.factory({
      storage: new InmemStorage(),
      logger: silentLogger,
      system: { defaultLeaseTtl: () => 60, maxLeaseTtl: () => 120 },
      options: {},
      mountPoint: 'auth/approle/',
    });

    assert.equal(backend.backendType, 'credential');
    assert.deepEqual(backend.specialPaths(), { root: [], unauthenticated: ['login', 'login/*'] });
  });

  test('unknown path is unsupported', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('read', 'roles/x'), 404, 'unsupported path "roles/x"');
    await assertRejects(harness.send('read', 'login'), 405, 'read operation not supported on path "login"');
  });

  test('salt is created once under concurrent first use', async () => {
    const storage = new StorageView(new InmemStorage(), 'auth/x/');
    const salt = new MountSalt();

    const ids = await Promise.all(Array.from({ length: 5 }, () => salt.saltedId(storage, 'same')));

    assert.equal(new Set(ids).size, 1);
    assert.equal(await new MountSalt().saltedId(storage, 'same'), ids[0]);
  });
});
