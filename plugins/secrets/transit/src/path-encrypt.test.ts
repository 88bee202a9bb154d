import assert from 'node:assert/strict';
import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  assertRejectedUnchanged,
  assertRejects,
  b64,
  createHarness,
  createKey,
  dataOf,
  decryptText,
  encryptText,
  MOUNT_PREFIX,
  rawJson,
} from './test-support.js';

const CIPHERTEXT_PATTERN = /^vault:v1:[A-Za-z0-9+/]+=*$/;

describe('encrypt', () => {
  test('round trip for each encryption type', async () => {
    const harness = createHarness();

    for (const type of ['aes128-gcm96', 'aes256-gcm96', 'chacha20-poly1305', 'rsa-2048']) {
      await createKey(harness, type, { type });
      const data = dataOf(await harness.send('update', `encrypt/${type}`, { plaintext: b64('attack at dawn') }));

      assert.match(String(data.ciphertext), CIPHERTEXT_PATTERN, type);
      assert.equal(data.key_version, 1, type);
      assert.equal(await decryptText(harness, type, String(data.ciphertext)), 'attack at dawn', type);
    }
  });

  test('AES-GCM layout is nonce, ciphertext, tag', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes', { exportable: true });
    const ciphertext = await encryptText(harness, 'aes', 'layout check');
    const exported = dataOf(await harness.send('read', 'export/encryption-key/aes/1'));
    const key = Buffer.from(String((exported.keys as Record<string, string>)['1']), 'base64');

    const raw = Buffer.from(ciphertext.slice('vault:v1:'.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const plaintext = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);

    assert.equal(raw.length, 12 + 'layout check'.length + 16);
    assert.equal(plaintext.toString(), 'layout check');
  });

  test('random nonces make ciphertexts differ', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');

    const first = await encryptText(harness, 'aes', 'same');
    const second = await encryptText(harness, 'aes', 'same');

    assert.notEqual(first, second);
  });

  test('empty plaintext', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');

    const ciphertext = await encryptText(harness, 'aes', '');

    assert.equal(await decryptText(harness, 'aes', ciphertext), '');
  });

  test('convergent encryption is deterministic', async () => {
    const harness = createHarness();
    await createKey(harness, 'conv', { derived: true, convergent_encryption: true });
    const context = b64('customer-42');

    const first = await encryptText(harness, 'conv', 'same input', { context });
    const second = await encryptText(harness, 'conv', 'same input', { context });
    const otherContext = await encryptText(harness, 'conv', 'same input', { context: b64('customer-43') });
    const otherInput = await encryptText(harness, 'conv', 'other input', { context });

    assert.equal(first, second);
    assert.notEqual(first, otherContext);
    assert.notEqual(first, otherInput);
    assert.equal(await decryptText(harness, 'conv', first, { context }), 'same input');
  });

  test('convergent nonce derivation matches Vault version 3', async () => {
    const harness = createHarness();
    await createKey(harness, 'conv', { derived: true, convergent_encryption: true, exportable: true });
    const exported = dataOf(await harness.send('read', 'export/encryption-key/conv/1'));
    const versionKey = Buffer.from(String((exported.keys as Record<string, string>)['1']), 'base64');
    const context = Buffer.from('ctx');
    const plaintext = Buffer.from('known answer');

    // HKDF-SHA256 without salt, context as info: 32 bytes of AES key, then 32 of HMAC key.
    const derived = Buffer.from(hkdfSync('sha256', versionKey, Buffer.alloc(0), context, 64));
    const nonce = createHmac('sha256', derived.subarray(32)).update(plaintext).digest().subarray(0, 12);
    const ciphertext = await encryptText(harness, 'conv', plaintext.toString(), { context: context.toString('base64') });
    const raw = Buffer.from(ciphertext.slice('vault:v1:'.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', derived.subarray(0, 32), nonce);
    decipher.setAuthTag(raw.subarray(raw.length - 16));

    assert.deepEqual(raw.subarray(0, 12), nonce);
    assert.equal(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(), 'known answer');
  });

  test('derived key needs the same context', async () => {
    const harness = createHarness();
    await createKey(harness, 'derived', { derived: true });
    const ciphertext = await encryptText(harness, 'derived', 'secret', { context: b64('a') });

    await assertRejects(harness.send('update', 'decrypt/derived', { ciphertext, context: b64('b') }), 400, 'cipher: message authentication failed');
    await assertRejects(
      harness.send('update', 'encrypt/derived', { plaintext: b64('x') }),
      400,
      'missing field "context": key "derived" is derived, so every request must carry a base64-encoded context',
    );
  });

  test('associated data is authenticated', async () => {
    const harness = createHarness();
    await createKey(harness, 'aead', { type: 'chacha20-poly1305' });
    const ciphertext = await encryptText(harness, 'aead', 'payload', { associated_data: b64('header-1') });

    assert.equal(await decryptText(harness, 'aead', ciphertext, { associated_data: b64('header-1') }), 'payload');
    await assertRejects(harness.send('update', 'decrypt/aead', { ciphertext }), 400, 'cipher: message authentication failed');
    await assertRejects(
      harness.send('update', 'decrypt/aead', { ciphertext, associated_data: b64('header-2') }),
      400,
      'cipher: message authentication failed',
    );
  });

  test('associated data on RSA is rejected', async () => {
    const harness = createHarness();
    await createKey(harness, 'rsa', { type: 'rsa-2048' });

    await assertRejects(
      harness.send('update', 'encrypt/rsa', { plaintext: b64('x'), associated_data: b64('ad') }),
      400,
      'invalid field "associated_data": key type rsa-2048 is not an AEAD cipher and takes no associated data',
    );
  });

  test('RSA plaintext limit', async () => {
    const harness = createHarness();
    await createKey(harness, 'rsa', { type: 'rsa-2048' });

    await encryptText(harness, 'rsa', 'x'.repeat(190));
    await assertRejects(
      harness.send('update', 'encrypt/rsa', { plaintext: b64('x'.repeat(191)) }),
      400,
      'invalid field "plaintext": 191 bytes is too long for RSA-OAEP with rsa-2048: the limit is 190 bytes',
    );
  });

  test('key_version selects the version', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    await harness.send('update', 'keys/aes/rotate');

    const old = dataOf(await harness.send('update', 'encrypt/aes', { plaintext: b64('v1'), key_version: 1 }));
    const latest = dataOf(await harness.send('update', 'encrypt/aes', { plaintext: b64('v2') }));

    assert.match(String(old.ciphertext), /^vault:v1:/);
    assert.equal(old.key_version, 1);
    assert.match(String(latest.ciphertext), /^vault:v2:/);
    assert.equal(latest.key_version, 2);
    await assertRejects(
      harness.send('update', 'encrypt/aes', { plaintext: b64('x'), key_version: 3 }),
      400,
      'invalid field "key_version": 3 is higher than the latest key version 2',
    );
    await assertRejects(
      harness.send('update', 'encrypt/aes', { plaintext: b64('x'), key_version: -1 }),
      400,
      'invalid field "key_version": -1 is negative: use 0 for the latest version or a version number',
    );
    await harness.send('update', 'keys/aes/config', { min_encryption_version: 2 });
    await assertRejects(
      harness.send('update', 'encrypt/aes', { plaintext: b64('x'), key_version: 1 }),
      400,
      'invalid field "key_version": 1 is below min_encryption_version 2',
    );
  });

  test('missing key with create creates it', async () => {
    const harness = createHarness();

    assert.deepEqual(await harness.exists('update', 'encrypt/fresh'), { checkFound: true, exists: false });
    const response = await harness.send('create', 'encrypt/fresh', { plaintext: b64('hi') });

    assert.match(String(dataOf(response).ciphertext), CIPHERTEXT_PATTERN);
    assert.equal(response?.warnings, undefined);
    const key = dataOf(await harness.send('read', 'keys/fresh'));
    assert.equal(key.type, 'aes256-gcm96');
    assert.equal(key.derived, false);
    assert.deepEqual(await harness.exists('update', 'encrypt/fresh'), { checkFound: true, exists: true });
  });

  test('upsert with context creates a derived key', async () => {
    const harness = createHarness();

    await harness.send('create', 'encrypt/tenant', { plaintext: b64('hi'), context: b64('t1'), type: 'chacha20-poly1305', convergent_encryption: true });

    const key = dataOf(await harness.send('read', 'keys/tenant'));
    assert.equal(key.type, 'chacha20-poly1305');
    assert.equal(key.derived, true);
    assert.equal(key.convergent_encryption, true);
  });

  test('create on an existing key warns', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');

    const response = await harness.send('create', 'encrypt/aes', { plaintext: b64('hi') });

    assert.deepEqual(response?.warnings, ['Attempted creation of the key during the encrypt operation, but it was created beforehand']);
  });

  test('type is ignored for an existing key', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');

    for (const type of ['ed25519', 'des']) {
      const ciphertext = await encryptText(harness, 'aes', 'kept', { type });

      assert.equal(await decryptText(harness, 'aes', ciphertext), 'kept', type);
    }
    assert.equal(dataOf(await harness.send('read', 'keys/aes')).type, 'aes256-gcm96');
  });

  test('missing key with update only', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'encrypt/none', { plaintext: b64('hi') }), 'encryption key "none" not found');
  });

  test('upsert rules', async () => {
    const harness = createHarness();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ plaintext: b64('x'), type: 'ecdsa-p256' }, 'invalid field "type": "ecdsa-p256" is not a key type that supports encryption'],
      [{ plaintext: b64('x'), type: 'des' }, 'invalid field "type": "des" is not a key type that supports encryption'],
      [
        { plaintext: b64('x'), convergent_encryption: true },
        'invalid field "convergent_encryption": convergent encryption requires derivation to be enabled, so context is required',
      ],
      [{ plaintext: 'not base64!' }, 'invalid field "plaintext": illegal base64 character at offset 3'],
      [{ plaintext: 'YWJj=' }, 'invalid field "plaintext": base64 length 5 is not a multiple of 4'],
      [{ plaintext: b64('x'), context: '%%%' }, 'invalid field "context": illegal base64 character at offset 0'],
      [{ plaintext: b64('x'), nonce: b64('123456789012') }, 'provided nonce not allowed for this key'],
      [{}, 'missing field "plaintext": give the base64-encoded data to encrypt'],
      [{ plaintext: b64('x'), key_version: 'two' }, 'invalid field "key_version": expected an integer, got "two"'],
      [{ plaintext: b64('x'), shape: 'round' }, 'unknown field "shape"'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('create', 'encrypt/new', body), message);
    }
  });

  test('batch encrypts each item', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');

    const data = dataOf(
      await harness.send('update', 'encrypt/aes', {
        batch_input: [
          { plaintext: b64('one'), reference: 'r1' },
          { plaintext: b64('two') },
        ],
      }),
    );
    const results = data.batch_results as Array<Record<string, unknown>>;

    assert.equal(results.length, 2);
    assert.equal(results[0].reference, 'r1');
    assert.equal(results[1].reference, '');
    assert.equal(results[0].key_version, 1);
    assert.equal(await decryptText(harness, 'aes', String(results[0].ciphertext)), 'one');
    assert.equal(await decryptText(harness, 'aes', String(results[1].ciphertext)), 'two');
  });

  test('batch partial failure returns 400 with results', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');

    const { status, body } = rawJson(
      await harness.send('update', 'encrypt/aes', {
        batch_input: [{ plaintext: b64('good'), reference: 'a' }, { plaintext: 'bad!', reference: 'b' }],
      }),
    );
    const results = (body.data as Record<string, unknown>).batch_results as Array<Record<string, unknown>>;

    assert.equal(status, 400);
    assert.equal(body.request_id, 'req-0001');
    assert.equal(body.mount_type, 'transit');
    assert.equal(body.warnings, null);
    assert.equal(await decryptText(harness, 'aes', String(results[0].ciphertext)), 'good');
    assert.deepEqual(results[1], { error: 'invalid field "plaintext": illegal base64 character at offset 3', reference: 'b' });
  });

  test('batch partial_failure_response_code', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const batch = [{ plaintext: b64('good') }, { plaintext: b64('bad'), key_version: 9 }];

    const partial = rawJson(await harness.send('update', 'encrypt/aes', { batch_input: batch, partial_failure_response_code: 207 }));
    const invalidCode = rawJson(await harness.send('update', 'encrypt/aes', { batch_input: batch, partial_failure_response_code: 999 }));
    const allFail = rawJson(
      await harness.send('update', 'encrypt/aes', { batch_input: [{ plaintext: 'bad!' }], partial_failure_response_code: 207 }),
    );

    assert.equal(partial.status, 207);
    assert.equal(invalidCode.status, 400);
    assert.deepEqual(invalidCode.body.warnings, ['invalid HTTP response code override from partial_failure_response_code, reverting to 400']);
    assert.equal(allFail.status, 400);
  });

  test('batch upsert skips the key when every item fails', async () => {
    const harness = createHarness();

    const { status } = rawJson(await harness.send('create', 'encrypt/none', { batch_input: [{ plaintext: '!' }] }));

    assert.equal(status, 400);
    assert.equal(await harness.storage.get(`${MOUNT_PREFIX}policy/none`), null);
  });

  test('batch structure errors reject the request', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const cases: Array<[unknown, string]> = [
      ['abc', 'invalid field "batch_input": expected a list of objects, got a string'],
      [[], 'invalid field "batch_input": the list is empty: give at least one item'],
      [[7], 'invalid field "batch_input[0]": expected an object, got number 7'],
      [[{ plaintext: 5 }], 'invalid field "batch_input[0].plaintext": expected a string, got number 5'],
      [[{ context: b64('c') }], 'missing field "batch_input[0].plaintext": give the base64-encoded data to encrypt'],
      [[{ plaintext: b64('x'), colour: 'red' }], 'invalid field "batch_input[0]": unknown field "colour"'],
      [[{ plaintext: b64('x'), ciphertext: 5 }], 'invalid field "batch_input[0].ciphertext": expected a string, got number 5'],
      [
        [{ plaintext: b64('x'), context: b64('c') }, { plaintext: b64('y') }],
        'invalid field "context": context should be set either in all the request blocks or in none',
      ],
    ];

    for (const [batch, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'encrypt/aes', { batch_input: batch }), message);
    }
  });

  test('batch items with decrypt fields', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');

    const data = dataOf(
      await harness.send('update', 'encrypt/aes', { batch_input: [{ plaintext: b64('x'), ciphertext: 'vault:v1:AAAA', reference: 'r' }] }),
    );

    const [result] = data.batch_results as Array<Record<string, unknown>>;
    assert.equal(result.reference, 'r');
    assert.equal(await decryptText(harness, 'aes', String(result.ciphertext)), 'x');
  });

  test('signing keys cannot encrypt', async () => {
    const harness = createHarness();
    await createKey(harness, 'ed', { type: 'ed25519' });

    await assertRejects(harness.send('update', 'encrypt/ed', { plaintext: b64('x') }), 400, 'key type ed25519 does not support encryption');
  });
});
