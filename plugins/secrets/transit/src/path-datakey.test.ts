import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, b64, createHarness, createKey, dataOf } from './test-support.js';

describe('datakey', () => {
  test('plaintext form returns the key in both forms', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');

    const data = dataOf(await harness.send('update', 'datakey/plaintext/aes', { bits: 512 }));
    const decrypted = dataOf(await harness.send('update', 'decrypt/aes', { ciphertext: data.ciphertext }));

    assert.equal(Buffer.from(String(data.plaintext), 'base64').length, 64);
    assert.equal(decrypted.plaintext, data.plaintext);
    assert.equal(data.key_version, 1);
  });

  test('wrapped form omits the plaintext', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');

    const data = dataOf(await harness.send('update', 'datakey/wrapped/aes'));
    const decrypted = dataOf(await harness.send('update', 'decrypt/aes', { ciphertext: data.ciphertext }));

    assert.deepEqual(Object.keys(data).sort(), ['ciphertext', 'key_version']);
    assert.equal(Buffer.from(String(decrypted.plaintext), 'base64').length, 32);
  });

  test('128 bits with a derived key and an RSA key', async () => {
    const harness = createHarness();
    await createKey(harness, 'derived', { derived: true });
    await createKey(harness, 'rsa', { type: 'rsa-2048' });

    const derived = dataOf(await harness.send('update', 'datakey/plaintext/derived', { bits: 128, context: b64('c') }));
    const rsa = dataOf(await harness.send('update', 'datakey/plaintext/rsa', { bits: 128 }));

    assert.equal(Buffer.from(String(derived.plaintext), 'base64').length, 16);
    assert.equal(dataOf(await harness.send('update', 'decrypt/derived', { ciphertext: derived.ciphertext, context: b64('c') })).plaintext, derived.plaintext);
    assert.equal(dataOf(await harness.send('update', 'decrypt/rsa', { ciphertext: rsa.ciphertext })).plaintext, rsa.plaintext);
  });

  test('invalid requests', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    await createKey(harness, 'ec', { type: 'ecdsa-p256' });
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [
        'datakey/raw/aes',
        {},
        'invalid field "plaintext": "raw" is not a data key form: the path must be datakey/plaintext/:name or datakey/wrapped/:name',
      ],
      ['datakey/plaintext/aes', { bits: 100 }, 'invalid field "bits": 100 is not 128, 256 or 512'],
      ['datakey/plaintext/aes', { context: '@' }, 'invalid field "context": illegal base64 character at offset 0'],
      ['datakey/plaintext/aes', { nonce: b64('123456789012') }, 'provided nonce not allowed for this key'],
      ['datakey/plaintext/aes', { key_version: 2 }, 'invalid field "key_version": 2 is higher than the latest key version 1'],
      ['datakey/plaintext/ec', {}, 'key type ecdsa-p256 does not support encryption'],
    ];

    for (const [path, body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, body), message);
    }
    await assertRejects(harness.send('update', 'datakey/plaintext/none'), 400, 'encryption key "none" not found');
  });
});
