import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Logger } from '@coffer/sdk';
import { assertRejectedUnchanged, createHarness, createKey, dataOf, decryptText, encryptText, MOUNT_PREFIX } from './test-support.js';

/** Creates a logger that keeps the messages of its error entries. */
function errorRecorder(errors: string[]): Logger {
  const ignore = () => undefined;
  const logger: Logger = {
    trace: ignore,
    debug: ignore,
    info: ignore,
    warn: ignore,
    error: (_fields: object, message: string) => void errors.push(message),
    child: () => logger,
  };
  return logger;
}

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

  test('unreadable stored size starts unlimited', async () => {
    const errors: string[] = [];
    const first = createHarness();
    await createKey(first, 'aes');
    const ciphertext = await encryptText(first, 'aes', 'still readable');
    await first.storage.put({ key: `${MOUNT_PREFIX}config/cache`, value: Buffer.from('{"size":1e20}') });

    const second = createHarness({ storage: first.storage, logger: errorRecorder(errors) });
    await second.backend.initialize();
    await second.backend.cleanup();

    assert.equal(await decryptText(second, 'aes', ciphertext), 'still readable');
    assert.deepEqual(errors, ['reading the cache size failed, so the cache has no limit']);
  });

  test('invalid sizes', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'cache-config', { size: 5 }), 'invalid field "size": 5: use 0 for no limit or at least 10');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'cache-config', { size: -1 }), 'invalid field "size": -1: use 0 for no limit or at least 10');
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'cache-config', { size: 1e20 }),
      'invalid field "size": 100000000000000000000 is above the maximum of 9007199254740991',
    );
  });
});
