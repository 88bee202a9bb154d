import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCofferError, silentLogger } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { kvVersion } from './backend.js';
import { plugin } from './index.js';
import { createHarness, dataOf, rawJson } from './test-support.js';

describe('kv backend', () => {
  test('plugin metadata', () => {
    assert.equal(plugin.kind, 'secrets');
    assert.equal(plugin.name, 'kv');
    assert.equal(plugin.sdkVersion, '0.1.0');
  });

  test('version option defaults to 1', async () => {
    assert.equal(kvVersion({}), 1);
    assert.equal(kvVersion({ version: '' }), 1);
    assert.equal(kvVersion({ version: '1' }), 1);
    assert.equal(kvVersion({ version: '2' }), 2);

    const harness = createHarness(undefined);
    await harness.send('create', 'app', { a: '1' });
    assert.deepEqual((await harness.send('read', 'app'))?.data, { a: '1' });
  });

  test('unknown version is rejected', async () => {
    await assert.rejects(
      plugin.factory({
        storage: new InmemStorage(),
        logger: silentLogger,
        system: { defaultLeaseTtl: () => 60, maxLeaseTtl: () => 120 },
        options: { version: '3' },
        mountPoint: 'kv/',
      }),
      (err: unknown) => {
        assert.ok(isCofferError(err));
        assert.equal(err.status, 400);
        assert.equal(err.message, 'invalid mount option "version": "3" is not a KV version: use "1" or "2"');
        return true;
      },
    );
  });

  test('factory builds a version 2 backend', async () => {
    const storage = new InmemStorage();
    const backend = await plugin.factory({
      storage,
      logger: silentLogger,
      system: { defaultLeaseTtl: () => 60, maxLeaseTtl: () => 120 },
      options: { version: '2' },
      mountPoint: 'secret/',
    });

    const response = await backend.handleRequest({
      id: 'req-1',
      operation: 'read',
      path: 'config',
      data: {},
      storage,
      mountPoint: 'secret/',
      mountType: 'kv',
      clientToken: 'salted',
      headers: {},
    });

    assert.equal(backend.backendType, 'logical');
    assert.deepEqual(response?.data, { cas_required: false, delete_version_after: '0s', max_versions: 0 });
  });

  test('catch-all comes after the real paths', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'data/config', { data: { a: 1 } });

    assert.deepEqual(dataOf(await harness.send('read', 'data/config')).data, { a: 1 });
    assert.deepEqual(dataOf(await harness.send('read', 'config')).max_versions, 0);
    assert.equal(rawJson(await harness.send('read', 'config/extra')).status, 404);
  });

  test('help describes a path', async () => {
    const harness = createHarness('2');

    const response = await harness.backend.handleRequest({
      id: 'req-1',
      operation: 'help',
      path: 'data/app',
      data: {},
      storage: new InmemStorage(),
      mountPoint: 'secret/',
      mountType: 'kv',
      clientToken: 'salted',
      headers: {},
    });

    const help = String(response?.data?.help);
    assert.match(help, /^## Write, patch, read and delete versions of a secret\./);
    assert.match(help, /options \(map\)/);
  });
});
