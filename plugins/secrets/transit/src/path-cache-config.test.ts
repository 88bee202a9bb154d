import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, createKey, dataOf, decryptText, encryptText, MOUNT_PREFIX } from './test-support.js';

describe('cache-config', () => {
  test('defaults to no limit', async () => {
    const harness = createHarness();

    assert.deepEqual(dataOf(await harness.send('read', 'cache-config')), { size: 0 });
  });

  test('write stores the size', async () => {
    const harness = createHarness();

    assert.deepEqual(dataOf(await harness.send('update', 'cache-config', { size: 25 })), { size: 25 });
    assert.deepEqual(dataOf(await harness.send('read', 'cache-config')), { size: 25 });
    assert.equal(String((await harness.storage.get(`${MOUNT_PREFIX}config/cache`))?.value), '{"size":25}');
  });

  test('a small cache still serves every key', async () => {
    const harness = createHarness();
    await harness.send('update', 'cache-config', { size: 10 });
    const ciphertexts: string[] = [];
    for (let i = 0; i < 15; i++) {
      await createKey(harness, `k${i}`);
      ciphertexts.push(await encryptText(harness, `k${i}`, `value ${i}`));
    }

    for (let i = 0; i < 15; i++) assert.equal(await decryptText(harness, `k${i}`, ciphertexts[i]), `value ${i}`);
  });

  test('initialize reads the stored size', async () => {
    const first = createHarness();
    await first.send('update', 'cache-config', { size: 12 });

    const second = createHarness({ storage: first.storage });
    await second.backend.initialize();
    await second.backend.cleanup();

    assert.deepEqual(dataOf(await second.send('read', 'cache-config')), { size: 12 });
  });

  test('invalid sizes', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'cache-config', { size: 5 }), 'invalid field "size": 5: use 0 for no limit or at least 10');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'cache-config', { size: -1 }), 'invalid field "size": -1: use 0 for no limit or at least 10');
  });
});
