import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, b64, createHarness, createKey, dataOf, decryptText, encryptText, rawJson } from './test-support.js';

describe('decrypt', () => {
  test('round trip after rotation', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const v1 = await encryptText(harness, 'aes', 'first');
    await harness.send('update', 'keys/aes/rotate');
    const v2 = await encryptText(harness, 'aes', 'second');

    assert.match(v2, /^vault:v2:/);
    assert.equal(await decryptText(harness, 'aes', v1), 'first');
    assert.equal(await decryptText(harness, 'aes', v2), 'second');
  });

  test('version below min_decryption_version is refused', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const v1 = await encryptText(harness, 'aes', 'first');
    await harness.send('update', 'keys/aes/rotate');
    await harness.send('update', 'keys/aes/config', { min_decryption_version: 2 });

    await assertRejects(
      harness.send('update', 'decrypt/aes', { ciphertext: v1 }),
      400,
      'ciphertext or signature version is disallowed by policy (too old)',
    );

    await harness.send('update', 'keys/aes/config', { min_decryption_version: 1 });
    assert.equal(await decryptText(harness, 'aes', v1), 'first');
  });

  test('malformed ciphertexts', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const good = await encryptText(harness, 'aes', 'data');
    const raw = Buffer.from(good.slice('vault:v1:'.length), 'base64');
    raw[raw.length - 1] ^= 1;
    const cases: Array<[string, string]> = [
      ['v1:abcd', 'invalid ciphertext: no prefix'],
      ['vault:v1', 'invalid ciphertext: wrong number of fields'],
      ['vault:vx:abcd', 'invalid ciphertext: version number could not be decoded'],
      ['vault:v2:abcd', 'invalid ciphertext: version is too new'],
      ['vault:v1:ab!d', 'invalid ciphertext: could not decode base64'],
      ['vault:v1:AAAA', 'invalid ciphertext length'],
      [`vault:v1:${Buffer.alloc(20).toString('base64')}`, 'cipher: message authentication failed'],
      [`vault:v1:${raw.toString('base64')}`, 'cipher: message authentication failed'],
    ];

    for (const [ciphertext, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'decrypt/aes', { ciphertext }), message);
    }
  });

  test('version 0 ciphertext is version 1', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const v1 = await encryptText(harness, 'aes', 'legacy');

    assert.equal(await decryptText(harness, 'aes', v1.replace('vault:v1:', 'vault:v0:')), 'legacy');
  });

  test('RSA decryption failure', async () => {
    const harness = createHarness();
    await createKey(harness, 'rsa', { type: 'rsa-2048' });

    await assertRejects(
      harness.send('update', 'decrypt/rsa', { ciphertext: `vault:v1:${Buffer.alloc(256, 7).toString('base64')}` }),
      400,
      'failed to RSA decrypt the ciphertext: decryption error',
    );
  });

  test('request errors', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    await createKey(harness, 'ed', { type: 'ed25519' });

    await assertRejects(harness.send('update', 'decrypt/aes', {}), 400, 'missing field "ciphertext": give the ciphertext to decrypt');
    await assertRejects(harness.send('update', 'decrypt/none', { ciphertext: 'vault:v1:AAAA' }), 400, 'encryption key "none" not found');
    await assertRejects(harness.send('update', 'decrypt/ed', { ciphertext: 'vault:v1:AAAA' }), 400, 'key type ed25519 does not support decryption');
    await assertRejects(
      harness.send('update', 'decrypt/aes', { ciphertext: 'vault:v1:AAAA', nonce: 'no!' }),
      400,
      'invalid field "nonce": illegal base64 character at offset 2',
    );
  });

  test('batch with a bad item', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const good = await encryptText(harness, 'aes', 'fine');

    const { status, body } = rawJson(
      await harness.send('update', 'decrypt/aes', {
        batch_input: [
          { ciphertext: good, reference: 'ok' },
          { ciphertext: 'vault:v9:AAAA', reference: 'bad' },
        ],
      }),
    );

    assert.equal(status, 400);
    assert.deepEqual((body.data as Record<string, unknown>).batch_results, [
      { plaintext: b64('fine'), reference: 'ok' },
      { error: 'invalid ciphertext: version is too new', reference: 'bad' },
    ]);
  });

  test('batch with partial_failure_response_code', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const good = await encryptText(harness, 'aes', 'fine');

    const partial = rawJson(
      await harness.send('update', 'decrypt/aes', {
        batch_input: [{ ciphertext: good }, { ciphertext: 'nope' }],
        partial_failure_response_code: 202,
      }),
    );
    const success = dataOf(await harness.send('update', 'decrypt/aes', { batch_input: [{ ciphertext: good }], partial_failure_response_code: 202 }));

    assert.equal(partial.status, 202);
    assert.deepEqual(success, { batch_results: [{ plaintext: b64('fine'), reference: '' }] });
  });

  test('batch of encrypt results', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const encrypted = dataOf(
      await harness.send('update', 'encrypt/aes', {
        batch_input: [
          { plaintext: b64('one'), reference: 'a' },
          { plaintext: b64('two'), reference: 'b' },
        ],
      }),
    );

    // Vault decodes the items of encrypt, decrypt and rewrap alike, so the
    // key_version of each result is accepted here and has no effect.
    const data = dataOf(await harness.send('update', 'decrypt/aes', { batch_input: encrypted.batch_results }));

    assert.deepEqual(data.batch_results, [
      { plaintext: b64('one'), reference: 'a' },
      { plaintext: b64('two'), reference: 'b' },
    ]);
  });

  test('batch item types still checked', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const good = await encryptText(harness, 'aes', 'fine');

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'decrypt/aes', { batch_input: [{ ciphertext: good, key_version: 'latest' }] }),
      'invalid field "batch_input[0].key_version": expected an integer, got a string',
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'decrypt/aes', { batch_input: [{ ciphertext: good, plaintext: 5 }] }),
      'invalid field "batch_input[0].plaintext": expected a string, got number 5',
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'decrypt/aes', { batch_input: [{ ciphertext: good, padding_scheme: 'oaep' }] }),
      'invalid field "batch_input[0]": unknown field "padding_scheme"',
    );
  });

  test('batch of derived ciphertexts', async () => {
    const harness = createHarness();
    await createKey(harness, 'derived', { derived: true });
    const a = await encryptText(harness, 'derived', 'for a', { context: b64('a') });
    const b = await encryptText(harness, 'derived', 'for b', { context: b64('b') });

    const data = dataOf(
      await harness.send('update', 'decrypt/derived', {
        batch_input: [
          { ciphertext: a, context: b64('a') },
          { ciphertext: b, context: b64('b') },
        ],
      }),
    );

    assert.deepEqual(data.batch_results, [
      { plaintext: b64('for a'), reference: '' },
      { plaintext: b64('for b'), reference: '' },
    ]);
  });
});
