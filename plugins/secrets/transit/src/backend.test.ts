import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCofferError, silentLogger } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { plugin } from './index.js';
import { b64, createHarness, createKey, dataOf, encryptText, MOUNT_PREFIX } from './test-support.js';

describe('transit backend', () => {
  test('plugin metadata', () => {
    assert.equal(plugin.kind, 'secrets');
    assert.equal(plugin.name, 'transit');
    assert.equal(plugin.sdkVersion, '0.1.0');
  });

  test('factory builds a working backend', async () => {
    const storage = new InmemStorage();
    const backend = await plugin.factory({
      storage,
      logger: silentLogger,
      system: { defaultLeaseTtl: () => 60, maxLeaseTtl: () => 120 },
      options: {},
      mountPoint: 'transit/',
    });
    const request = (operation: 'update' | 'read', path: string, data: Record<string, unknown>) =>
      backend.handleRequest({ id: 'req-1', operation, path, data, storage, mountPoint: 'transit/', mountType: 'transit', clientToken: 'salted', headers: {} });

    await backend.initialize?.();
    await request('update', 'keys/app', {});
    const encrypted = await request('update', 'encrypt/app', { plaintext: b64('hi') });
    await backend.cleanup?.();

    assert.equal(backend.backendType, 'logical');
    assert.match(String(encrypted?.data?.ciphertext), /^vault:v1:/);
  });

  test('unknown path is unsupported', async () => {
    const harness = createHarness();

    await assert.rejects(harness.send('read', 'nowhere'), (err: unknown) => {
      assert.ok(isCofferError(err));
      assert.equal(err.status, 404);
      assert.equal(err.message, 'unsupported path "nowhere"');
      return true;
    });
  });

  test('invalidate drops a key changed elsewhere', async () => {
    const harness = createHarness();
    await createKey(harness, 'app');
    const ciphertext = await encryptText(harness, 'app', 'secret');
    // Another node replaces the key; until the server reports the change,
    // this node keeps serving its cached copy.
    const other = createHarness({ storage: new InmemStorage() });
    await createKey(other, 'app');
    const replacement = await other.storage.get(`${MOUNT_PREFIX}policy/app`);
    await harness.storage.put({ key: `${MOUNT_PREFIX}policy/app`, value: replacement?.value ?? Buffer.alloc(0) });
    assert.equal(dataOf(await harness.send('update', 'decrypt/app', { ciphertext })).plaintext, b64('secret'));

    harness.backend.invalidate('policy/app');

    await assert.rejects(harness.send('update', 'decrypt/app', { ciphertext }), /cipher: message authentication failed/);
  });

  test('help describes a path', async () => {
    const harness = createHarness();

    const response = await harness.backend.handleRequest({
      id: 'req-1',
      operation: 'help',
      path: 'encrypt/app',
      data: {},
      storage: new InmemStorage(),
      mountPoint: 'transit/',
      mountType: 'transit',
      clientToken: 'salted',
      headers: {},
    });

    const help = String(response?.data?.help);
    assert.match(help, /^## Encrypt base64-encoded plaintext, or a batch of them, with a named key\./);
    assert.match(help, /partial_failure_response_code \(int\)/);
  });
});
