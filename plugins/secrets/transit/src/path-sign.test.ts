import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, test } from 'node:test';
import { withOpenssl } from './openssl-support.js';
import { assertRejectedUnchanged, assertRejects, b64, createHarness, createKey, dataOf, type Harness } from './test-support.js';

const MESSAGE = 'the quick brown fox jumps over the lazy dog';

async function signature(harness: Harness, path: string, body: Record<string, unknown>): Promise<string> {
  return String(dataOf(await harness.send('update', path, body)).signature);
}

function signatureBytes(text: string, encoding: 'base64' | 'base64url' = 'base64'): Buffer {
  return Buffer.from(text.replace(/^vault:v\d+:/, ''), encoding);
}

async function publicKey(harness: Harness, name: string): Promise<string> {
  const data = dataOf(await harness.send('read', `export/public-key/${name}/1`));
  return String((data.keys as Record<string, string>)['1']);
}

async function valid(harness: Harness, path: string, body: Record<string, unknown>): Promise<unknown> {
  return dataOf(await harness.send('update', path, body)).valid;
}

describe('sign and verify', () => {
  test('ed25519 signature verifies with openssl', async () => {
    const harness = createHarness();
    await createKey(harness, 'ed', { type: 'ed25519' });
    const signed = await signature(harness, 'sign/ed', { input: b64(MESSAGE) });
    const rawPublicKey = Buffer.from(await publicKey(harness, 'ed'), 'base64');
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), rawPublicKey]);
    const pem = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' });

    const result = await withOpenssl(async ({ file, openssl }) => {
      const args = ['pkeyutl', '-verify', '-pubin', '-inkey', await file('pub.pem', pem), '-rawin'];
      const good = await openssl([...args, '-in', await file('msg', MESSAGE), '-sigfile', await file('sig', signatureBytes(signed))]);
      const bad = await openssl([...args, '-in', await file('other', `${MESSAGE}.`), '-sigfile', await file('sig', signatureBytes(signed))]);
      return { good, bad };
    });

    assert.equal(result.good.code, 0, result.good.stderr);
    assert.match(result.good.stdout, /Signature Verified Successfully/);
    assert.notEqual(result.bad.code, 0);
    assert.equal(await valid(harness, 'verify/ed', { input: b64(MESSAGE), signature: signed }), true);
  });

  test('ECDSA signatures verify with openssl', async () => {
    const harness = createHarness();
    const cases: Array<[string, string, string]> = [
      ['ecdsa-p256', 'sha2-256', '-sha256'],
      ['ecdsa-p384', 'sha2-384', '-sha384'],
      ['ecdsa-p521', 'sha2-512', '-sha512'],
      ['ecdsa-p256', 'sha3-256', '-sha3-256'],
    ];

    for (const [type, hash, flag] of cases) {
      const name = `${type}-${hash}`;
      await createKey(harness, name, { type });
      const signed = await signature(harness, `sign/${name}/${hash}`, { input: b64(MESSAGE) });

      const result = await withOpenssl(async ({ file, openssl }) =>
        openssl(['dgst', flag, '-verify', await file('pub.pem', await publicKey(harness, name)), '-signature', await file('sig', signatureBytes(signed)), await file('msg', MESSAGE)]),
      );

      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      assert.match(result.stdout, /Verified OK/, name);
    }
  });

  test('RSA signatures verify with openssl', async () => {
    const harness = createHarness();
    await createKey(harness, 'rsa', { type: 'rsa-2048' });
    const pem = await publicKey(harness, 'rsa');
    const pss = await signature(harness, 'sign/rsa', { input: b64(MESSAGE), hash_algorithm: 'sha2-384' });
    const pssHashSalt = await signature(harness, 'sign/rsa', { input: b64(MESSAGE), salt_length: 'hash' });
    const pkcs1 = await signature(harness, 'sign/rsa/sha2-512', { input: b64(MESSAGE), signature_algorithm: 'pkcs1v15' });

    const results = await withOpenssl(async ({ file, openssl }) => {
      const key = await file('pub.pem', pem);
      const msg = await file('msg', MESSAGE);
      const pssArgs = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:auto'];
      return [
        await openssl(['dgst', '-sha384', ...pssArgs, '-verify', key, '-signature', await file('pss', signatureBytes(pss)), msg]),
        await openssl(['dgst', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest', '-verify', key, '-signature', await file('pss-hash', signatureBytes(pssHashSalt)), msg]),
        await openssl(['dgst', '-sha512', '-verify', key, '-signature', await file('pkcs1', signatureBytes(pkcs1)), msg]),
      ];
    });

    for (const result of results) {
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Verified OK/);
    }
  });

  test('verify round trip per key type', async () => {
    const harness = createHarness();

    for (const type of ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-2048']) {
      await createKey(harness, type, { type });
      const signed = await signature(harness, `sign/${type}`, { input: b64(MESSAGE) });

      assert.match(signed, /^vault:v1:/, type);
      assert.equal(await valid(harness, `verify/${type}`, { input: b64(MESSAGE), signature: signed }), true, type);
      assert.equal(await valid(harness, `verify/${type}`, { input: b64(`${MESSAGE}!`), signature: signed }), false, type);
    }
  });

  test('jws marshaling', async () => {
    const harness = createHarness();
    await createKey(harness, 'ec', { type: 'ecdsa-p521' });

    const signed = await signature(harness, 'sign/ec', { input: b64(MESSAGE), marshaling_algorithm: 'jws' });
    const raw = signatureBytes(signed, 'base64url');

    assert.match(signed, /^vault:v1:[A-Za-z0-9_-]+$/);
    assert.equal(raw.length, 132);
    assert.ok(nodeVerify('sha256', Buffer.from(MESSAGE), { key: createPublicKey(await publicKey(harness, 'ec')), dsaEncoding: 'ieee-p1363' }, raw));
    assert.equal(await valid(harness, 'verify/ec', { input: b64(MESSAGE), signature: signed, marshaling_algorithm: 'jws' }), true);
  });

  test('prehashed input', async () => {
    const harness = createHarness();
    const digest = createHash('sha256').update(MESSAGE).digest().toString('base64');
    const settings = { input: digest, prehashed: true };

    for (const [type, extra] of [
      ['ecdsa-p256', {}],
      ['rsa-2048', {}],
      ['rsa-2048', { signature_algorithm: 'pkcs1v15' }],
      ['rsa-2048', { salt_length: 'hash' }],
    ] as const) {
      const name = `${type}-${JSON.stringify(extra).length}`;
      await createKey(harness, name, { type });
      const signed = await signature(harness, `sign/${name}`, { ...settings, ...extra });

      // The signature over the digest is a signature over the message.
      assert.equal(await valid(harness, `verify/${name}`, { input: b64(MESSAGE), signature: signed, ...extra }), true, name);
      assert.equal(await valid(harness, `verify/${name}`, { ...settings, ...extra, signature: signed }), true, name);
    }
  });

  test('prehashed RSA with hash none', async () => {
    const harness = createHarness();
    await createKey(harness, 'rsa', { type: 'rsa-2048' });
    const settings = { input: b64('raw data'), prehashed: true, hash_algorithm: 'none', signature_algorithm: 'pkcs1v15' };

    const signed = await signature(harness, 'sign/rsa', settings);

    assert.equal(await valid(harness, 'verify/rsa', { ...settings, signature: signed }), true);
    await assertRejects(
      harness.send('update', 'sign/rsa', { input: b64('x'), hash_algorithm: 'none' }),
      400,
      'invalid field "hash_algorithm": hash_algorithm=none requires both prehashed=true and signature_algorithm=pkcs1v15',
    );
  });

  test('RSA hash none input too long', async () => {
    const harness = createHarness();
    await createKey(harness, 'rsa', { type: 'rsa-2048' });
    const settings = { prehashed: true, hash_algorithm: 'none', signature_algorithm: 'pkcs1v15' };
    const message = 'invalid field "input": 246 bytes is too long for PKCS#1 v1.5 with rsa-2048 and hash_algorithm none: send at most 245 bytes or a digest';

    // A 2048-bit key signs 256-byte blocks, and the padding takes at least 11 bytes.
    const longest = await signature(harness, 'sign/rsa', { ...settings, input: b64('y'.repeat(245)) });
    assert.equal(await valid(harness, 'verify/rsa', { ...settings, input: b64('y'.repeat(245)), signature: longest }), true);
    await assertRejects(harness.send('update', 'sign/rsa', { ...settings, input: b64('y'.repeat(246)) }), 400, message);

    const batch = dataOf(await harness.send('update', 'sign/rsa', { ...settings, batch_input: [{ input: b64('y'.repeat(246)) }, { input: b64('y') }] }));
    const results = batch.batch_results as Array<Record<string, unknown>>;
    assert.deepEqual(results[0], { error: message, reference: '' });
    assert.match(String(results[1].signature), /^vault:v1:/);
  });

  test('ed25519 rejects Ed25519ph options', async () => {
    const harness = createHarness();
    await createKey(harness, 'ed', { type: 'ed25519' });
    const signed = await signature(harness, 'sign/ed', { input: b64(MESSAGE) });
    const digest = createHash('sha512').update(MESSAGE).digest('base64');
    const prehashed = 'invalid field "prehashed": ed25519 keys make only pure Ed25519 signatures, so prehashed must be false';
    const sha512 = 'invalid field "hash_algorithm": ed25519 keys make only pure Ed25519 signatures, so leave hash_algorithm unset instead of sha2-512';

    await assertRejects(harness.send('update', 'sign/ed', { input: digest, prehashed: true }), 400, prehashed);
    await assertRejects(harness.send('update', 'sign/ed', { input: b64(MESSAGE), hash_algorithm: 'sha2-512' }), 400, sha512);
    await assertRejects(harness.send('update', 'sign/ed/sha2-512', { input: b64(MESSAGE) }), 400, sha512);
    await assertRejects(harness.send('update', 'verify/ed', { input: b64(MESSAGE), signature: signed, prehashed: true }), 400, prehashed);
    await assertRejects(harness.send('update', 'verify/ed', { input: b64(MESSAGE), signature: signed, hash_algorithm: 'sha2-512' }), 400, sha512);

    const batch = dataOf(await harness.send('update', 'sign/ed', { prehashed: true, batch_input: [{ input: digest }] }));
    assert.deepEqual(batch.batch_results, [{ error: prehashed, reference: '' }]);
    assert.equal(await valid(harness, 'verify/ed', { input: b64(MESSAGE), signature: signed, hash_algorithm: 'sha2-256' }), true);
  });

  test('derived ed25519 signs per context', async () => {
    const harness = createHarness();
    await createKey(harness, 'ed', { type: 'ed25519', derived: true });

    const first = dataOf(await harness.send('update', 'sign/ed', { input: b64(MESSAGE), context: b64('a') }));
    const again = dataOf(await harness.send('update', 'sign/ed', { input: b64(MESSAGE), context: b64('a') }));
    const other = dataOf(await harness.send('update', 'sign/ed', { input: b64(MESSAGE), context: b64('b') }));

    assert.equal(first.signature, again.signature);
    assert.notEqual(first.public_key, other.public_key);
    assert.equal(await valid(harness, 'verify/ed', { input: b64(MESSAGE), context: b64('a'), signature: first.signature }), true);
    assert.equal(await valid(harness, 'verify/ed', { input: b64(MESSAGE), context: b64('b'), signature: first.signature }), false);
    await assertRejects(
      harness.send('update', 'sign/ed', { input: b64(MESSAGE) }),
      400,
      'missing field "context": key "ed" is derived, so every request must carry a base64-encoded context',
    );
  });

  test('batch sign and verify', async () => {
    const harness = createHarness();
    await createKey(harness, 'ec', { type: 'ecdsa-p256' });

    const signed = dataOf(
      await harness.send('update', 'sign/ec', { batch_input: [{ input: b64('a'), reference: 'first' }, { input: 'bad!' }, {}] }),
    ).batch_results as Array<Record<string, unknown>>;
    const verified = dataOf(
      await harness.send('update', 'verify/ec', {
        batch_input: [
          { input: b64('a'), signature: signed[0].signature },
          { input: b64('b'), signature: signed[0].signature, reference: 'wrong' },
        ],
      }),
    ).batch_results;

    assert.equal(signed[0].reference, 'first');
    assert.equal(signed[0].key_version, 1);
    assert.deepEqual(signed[1], { error: 'invalid field "input": illegal base64 character at offset 3', reference: '' });
    assert.deepEqual(signed[2], { error: 'missing input', reference: '' });
    assert.deepEqual(verified, [
      { valid: true, reference: '' },
      { valid: false, reference: 'wrong' },
    ]);
  });

  test('version rules', async () => {
    const harness = createHarness();
    await createKey(harness, 'ec', { type: 'ecdsa-p256' });
    await harness.send('update', 'keys/ec/rotate');
    await harness.send('update', 'keys/ec/config', { min_encryption_version: 2 });

    await assertRejects(harness.send('update', 'sign/ec', { input: b64('x'), key_version: 1 }), 400, 'invalid field "key_version": 1 is below min_encryption_version 2');
    await assertRejects(harness.send('update', 'sign/ec', { input: b64('x'), key_version: 3 }), 400, 'invalid field "key_version": 3 is higher than the latest key version 2');
    await assertRejects(harness.send('update', 'verify/ec', { input: b64('x'), signature: 'vault:v3:AAAA' }), 400, 'invalid signature: version is too new');
    await assertRejects(harness.send('update', 'verify/ec', { input: b64('x'), signature: 'v1:AAAA' }), 400, 'invalid signature: no prefix');
    await assertRejects(harness.send('update', 'verify/ec', { input: b64('x'), signature: 'vault:v1:A!' }), 400, 'invalid base64 signature value');
  });

  test('invalid requests', async () => {
    const harness = createHarness();
    await createKey(harness, 'rsa', { type: 'rsa-2048' });
    await createKey(harness, 'aes');
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [
        'sign/rsa/md5',
        { input: b64('x') },
        'invalid field "hash_algorithm": invalid hash algorithm "md5": use one of sha1, sha2-224, sha2-256, sha2-384, sha2-512, sha3-224, sha3-256, sha3-384, sha3-512, none',
      ],
      ['sign/rsa', { input: b64('x'), marshaling_algorithm: 'pem' }, 'invalid field "marshaling_algorithm": must be one of "asn1", "jws"'],
      ['sign/rsa', { input: b64('x'), signature_algorithm: 'raw' }, 'invalid field "signature_algorithm": must be one of "", "pss", "pkcs1v15"'],
      ['sign/rsa', { input: b64('x'), salt_length: 'big' }, 'invalid field "salt_length": "big" is neither auto, hash nor a number of bytes'],
      ['sign/rsa', { input: b64('x'), salt_length: '-2' }, 'invalid field "salt_length": -2 is negative'],
      ['sign/rsa', { input: b64('x'), salt_length: '300' }, 'invalid field "salt_length": 300 is longer than the maximum of 222 bytes for rsa-2048 with sha2-256'],
      ['sign/rsa', { input: b64('short'), prehashed: true }, 'invalid field "input": a prehashed sha2-256 input must be 32 bytes, got 5'],
      ['sign/aes', { input: b64('x') }, 'key type aes256-gcm96 does not support signing'],
      ['sign/none', { input: b64('x') }, 'signing key "none" not found'],
      ['verify/rsa', { input: b64('x') }, 'missing field "signature": give a signature or an hmac to verify'],
      ['verify/rsa', { input: b64('x'), signature: 'vault:v1:AAAA', hmac: 'vault:v1:AAAA' }, 'give one of the fields "signature" or "hmac", not both'],
      ['verify/aes', { input: b64('x'), signature: 'vault:v1:AAAA' }, 'key type aes256-gcm96 does not support verification'],
      ['verify/none', { input: b64('x'), signature: 'vault:v1:AAAA' }, 'signature verification key "none" not found'],
      [
        'verify/rsa',
        { batch_input: [{ input: b64('x'), signature: 'vault:v1:AAAA' }, { input: b64('x'), hmac: 'vault:v1:AAAA' }] },
        'invalid field "batch_input": every item must give a signature, or every item an hmac',
      ],
      ['verify/rsa', { batch_input: [{ input: b64('x'), signature: 'vault:v1:AAAA' }, { input: b64('x') }] }, 'invalid field "batch_input": some items give no signature'],
    ];

    for (const [path, body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, body), message);
    }
  });
});
