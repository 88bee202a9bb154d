import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, createHarness, createKey, dataOf, encryptText, MOUNT_PREFIX } from './test-support.js';

async function threeVersions() {
  const harness = createHarness();
  await createKey(harness, 'aes');
  const v1 = await encryptText(harness, 'aes', 'old');
  await harness.send('update', 'keys/aes/rotate');
  await harness.send('update', 'keys/aes/rotate');
  return { harness, v1 };
}

describe('trim', () => {
  test('destroys versions below min_available_version', async () => {
    const { harness, v1 } = await threeVersions();
    await harness.send('update', 'keys/aes/config', { min_decryption_version: 2, min_encryption_version: 2 });

    const key = dataOf(await harness.send('update', 'keys/aes/trim', { min_available_version: 2 }));

    assert.equal(key.min_available_version, 2);
    assert.deepEqual(Object.keys(key.keys as object), ['2', '3']);
    const stored = JSON.parse(String((await harness.storage.get(`${MOUNT_PREFIX}policy/aes`))?.value)) as { versions: object };
    assert.deepEqual(Object.keys(stored.versions), ['2', '3']);
    await assertRejects(harness.send('update', 'keys/aes/config', { min_decryption_version: 1 }), 400, 'invalid field "min_decryption_version": 1 is below min_available_version 2');
    await assertRejects(harness.send('update', 'decrypt/aes', { ciphertext: v1 }), 400, 'ciphertext or signature version is disallowed by policy (too old)');
  });

  test('rules', async () => {
    const { harness } = await threeVersions();
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/aes/trim', { min_available_version: 1 }),
      'invalid field "min_available_version": cannot be set while min_encryption_version is 0: set it first',
    );
    await harness.send('update', 'keys/aes/config', { min_decryption_version: 2, min_encryption_version: 3 });
    await harness.send('update', 'keys/aes/trim', { min_available_version: 2 });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'missing field "min_available_version": give the lowest version to keep'],
      [{ min_available_version: 1 }, 'invalid field "min_available_version": 1 is below the current 2: a trim cannot be undone'],
      [{ min_available_version: 3 }, 'invalid field "min_available_version": 3 is above min_decryption_version 2'],
      [{ min_available_version: 'x' }, 'invalid field "min_available_version": expected an integer, got "x"'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'keys/aes/trim', body), message);
    }
    await harness.send('update', 'keys/aes/config', { min_decryption_version: 3 });
    await assertRejects(harness.send('update', 'keys/aes/trim', { min_available_version: 4 }), 400, 'invalid field "min_available_version": 4 is above min_encryption_version 3');
  });

  test('missing key', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('update', 'keys/none/trim', { min_available_version: 1 }), 400, 'key "none" not found');
  });
});
