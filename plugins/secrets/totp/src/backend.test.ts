import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SDK_VERSION, silentLogger, StorageView } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { plugin } from './index.js';
import { createHarness } from './test-support.js';

describe('totp plugin', () => {
  test('declares itself as the totp secrets engine', () => {
    assert.equal(plugin.kind, 'secrets');
    assert.equal(plugin.name, 'totp');
    assert.equal(plugin.sdkVersion, SDK_VERSION);
  });

  test('factory builds a logical backend', async () => {
    const storage = new StorageView(new InmemStorage(), 'logical/0001/');
    const backend = await plugin.factory({
      storage,
      logger: silentLogger,
      system: { defaultLeaseTtl: () => 60, maxLeaseTtl: () => 60 },
      options: {},
      mountPoint: 'totp/',
    });
    assert.equal(backend.backendType, 'logical');
    assert.deepEqual(backend.specialPaths(), { root: [], unauthenticated: [] });
  });

  test('root help describes the engine', async () => {
    const harness = createHarness();
    const response = await harness.backend.handleRequest({
      id: 'req-help',
      operation: 'help',
      path: '',
      data: {},
      storage: new StorageView(harness.storage, 'logical/7a1c0e42/'),
      mountPoint: 'totp/',
      mountType: 'totp',
      clientToken: 'salted-token',
      headers: {},
    });
    assert.match(String(response?.data?.help), /^The TOTP secrets engine generates and validates time-based one-time passwords/);
  });
});
