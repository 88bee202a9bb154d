import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, b64, createHarness, createKey, dataOf, decryptText, encryptText } from './test-support.js';

describe('rewrap', () => {
  test('moves a ciphertext to the latest version', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const v1 = await encryptText(harness, 'aes', 'carry over');
    await harness.send('update', 'keys/aes/rotate');

    const data = dataOf(await harness.send('update', 'rewrap/aes', { ciphertext: v1 }));

    assert.match(String(data.ciphertext), /^vault:v2:/);
    assert.equal(data.key_version, 2);
    assert.equal(data.plaintext, undefined);
    await harness.send('update', 'keys/aes/config', { min_decryption_version: 2 });
    assert.equal(await decryptText(harness, 'aes', String(data.ciphertext)), 'carry over');
  });

  test('keeps context and associated data', async () => {
    const harness = createHarness();
    await createKey(harness, 'derived', { derived: true });
    const settings = { context: b64('tenant'), associated_data: b64('hdr') };
    const v1 = await encryptText(harness, 'derived', 'scoped', settings);
    await harness.send('update', 'keys/derived/rotate');

    const data = dataOf(await harness.send('update', 'rewrap/derived', { ciphertext: v1, ...settings }));

    assert.equal(await decryptText(harness, 'derived', String(data.ciphertext), settings), 'scoped');
  });

  test('RSA rewrap', async () => {
    const harness = createHarness();
    await createKey(harness, 'rsa', { type: 'rsa-2048' });
    const v1 = await encryptText(harness, 'rsa', 'short');
    await harness.send('update', 'keys/rsa/rotate');

    const data = dataOf(await harness.send('update', 'rewrap/rsa', { ciphertext: v1 }));

    assert.match(String(data.ciphertext), /^vault:v2:/);
    assert.equal(await decryptText(harness, 'rsa', String(data.ciphertext)), 'short');
  });

  test('key_version and errors', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const v1 = await encryptText(harness, 'aes', 'x');
    await harness.send('update', 'keys/aes/rotate');

    assert.match(String(dataOf(await harness.send('update', 'rewrap/aes', { ciphertext: v1, key_version: 1 })).ciphertext), /^vault:v1:/);
    await assertRejects(harness.send('update', 'rewrap/none', { ciphertext: v1 }), 400, 'encryption key "none" not found');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'rewrap/aes', {}), 'missing field "ciphertext": give the ciphertext to decrypt');
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'rewrap/aes', { ciphertext: v1, nonce: b64('123456789012') }),
      'provided nonce not allowed for this key',
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'rewrap/aes', { ciphertext: v1, key_version: 5 }),
      'invalid field "key_version": 5 is higher than the latest key version 2',
    );
  });

  test('batch reports item errors with 200', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const v1 = await encryptText(harness, 'aes', 'x');

    const data = dataOf(
      await harness.send('update', 'rewrap/aes', {
        batch_input: [{ ciphertext: v1, reference: 'one' }, { ciphertext: 'junk', reference: 'two' }],
      }),
    );
    const results = data.batch_results as Array<Record<string, unknown>>;

    assert.match(String(results[0].ciphertext), /^vault:v1:/);
    assert.equal(results[0].reference, 'one');
    assert.deepEqual(results[1], { error: 'invalid ciphertext: no prefix', reference: 'two' });
  });
});
