import assert from 'node:assert/strict';
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  generateKeyPair,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { before, describe, test } from 'node:test';
import { wrapWithNode, wrapWithOpenssl, wrappingKeyOf } from './import-support.js';
import { withOpenssl } from './openssl-support.js';
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
  type Harness,
} from './test-support.js';

const generatePair = promisify(generateKeyPair);
const MESSAGE = 'bring your own key';

/** Returns the PKCS#8 DER of a private key, the format import expects for asymmetric keys. */
function pkcs8(key: KeyObject): Buffer {
  return key.export({ type: 'pkcs8', format: 'der' });
}

function spkiPem(key: KeyObject): string {
  return String(createPublicKey(key).export({ type: 'spki', format: 'pem' }));
}

/** Decrypts a `vault:v<N>:` AES-GCM ciphertext (nonce, ciphertext, tag) with a raw key. */
function decryptWithRawKey(ciphertext: string, key: Buffer): string {
  const raw = Buffer.from(ciphertext.replace(/^vault:v\d+:/, ''), 'base64');
  const algorithm = key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
  const decipher = createDecipheriv(algorithm, key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString();
}

/** Encrypts text with a raw AES-256 key in Vault's layout, version 1. */
function encryptWithRawKey(text: string, key: Buffer): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([cipher.update(text), cipher.final()]);
  return `vault:v1:${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`;
}

async function exportedKeys(harness: Harness, exportType: string, name: string): Promise<Record<string, string>> {
  return dataOf(await harness.send('read', `export/${exportType}/${name}`)).keys as Record<string, string>;
}

async function importKey(harness: Harness, name: string, material: Buffer, settings: Record<string, unknown> = {}): Promise<void> {
  const ciphertext = wrapWithNode(await wrappingKeyOf(harness), material);
  assert.equal(await harness.send('update', `keys/${name}/import`, { ciphertext, ...settings }), null);
}

function signatureBytes(signature: unknown): Buffer {
  return Buffer.from(String(signature).replace(/^vault:v\d+:/, ''), 'base64');
}

describe('wrapping key', () => {
  test('is an RSA-4096 public key that persists', async () => {
    const harness = createHarness();

    const first = await wrappingKeyOf(harness);
    const second = await wrappingKeyOf(harness);
    const reopened = await wrappingKeyOf(createHarness({ storage: harness.storage }));

    assert.match(first, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const key = createPublicKey(first);
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 4096);
    assert.equal(second, first);
    assert.equal(reopened, first);
    assert.deepEqual([...(await harness.snapshot()).keys()], [`${MOUNT_PREFIX}import/wrapping-key`]);
  });

  test('concurrent first reads return one key', async () => {
    const harness = createHarness();

    const keys = await Promise.all([wrappingKeyOf(harness), wrappingKeyOf(harness), wrappingKeyOf(harness)]);

    assert.equal(new Set(keys).size, 1);
  });

  test('generation leaves the event loop running', async () => {
    const harness = createHarness();
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      if (!spinning) return;
      turns += 1;
      setImmediate(spin);
    };
    setImmediate(spin);

    await wrappingKeyOf(harness);
    spinning = false;

    // RSA-4096 generation takes long enough for many loop turns unless it blocks the loop.
    assert.ok(turns > 10, `the event loop turned ${turns} times while the key was generated`);
  });

  test('is not listed as a key', async () => {
    const harness = createHarness();
    await wrappingKeyOf(harness);

    assert.equal(await harness.send('list', 'keys/'), null);
  });
});

describe('import', () => {
  let harness: Harness;
  let wrappingKey: string;
  before(async () => {
    harness = createHarness();
    wrappingKey = await wrappingKeyOf(harness);
  });

  test('aes256-gcm96 key wrapped by openssl', async () => {
    const raw = randomBytes(32);

    const ciphertext = await wrapWithOpenssl(wrappingKey, raw);
    assert.equal(await harness.send('update', 'keys/byok-aes/import', { ciphertext }), null);

    const key = dataOf(await harness.send('read', 'keys/byok-aes'));
    assert.equal(key.type, 'aes256-gcm96');
    assert.equal(key.imported_key, true);
    assert.equal(key.imported_key_allow_rotation, false);
    assert.equal(key.latest_version, 1);
    const encrypted = await encryptText(harness, 'byok-aes', MESSAGE);
    assert.match(encrypted, /^vault:v1:/);
    assert.equal(decryptWithRawKey(encrypted, raw), MESSAGE);
    assert.equal(await decryptText(harness, 'byok-aes', encryptWithRawKey('made outside', raw)), 'made outside');
  });

  test('ecdsa-p256 key wrapped by openssl signs', async () => {
    const { material, publicPem } = await opensslKey(['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);

    const ciphertext = await wrapWithOpenssl(wrappingKey, material);
    assert.equal(await harness.send('update', 'keys/byok-ec/import', { ciphertext, type: 'ecdsa-p256' }), null);
    const signed = dataOf(await harness.send('update', 'sign/byok-ec', { input: b64(MESSAGE) }));

    const verified = await withOpenssl(async ({ file, openssl }) =>
      openssl(['dgst', '-sha256', '-verify', await file('pub.pem', publicPem), '-signature', await file('sig', signatureBytes(signed.signature)), await file('msg', MESSAGE)]),
    );
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.stdout.trim(), 'Verified OK');
    const key = dataOf(await harness.send('read', 'keys/byok-ec'));
    assert.equal((key.keys as Record<string, Record<string, unknown>>)['1'].public_key, publicPem);
  });

  test('rsa-2048 key wrapped by openssl signs', async () => {
    const { material, publicPem } = await opensslKey(['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);

    const ciphertext = await wrapWithOpenssl(wrappingKey, material, 'sha512');
    const response = await harness.send('update', 'keys/byok-rsa/import', { ciphertext, type: 'rsa-2048', hash_function: 'SHA512' });
    assert.equal(response, null);
    const signed = dataOf(await harness.send('update', 'sign/byok-rsa', { input: b64(MESSAGE), signature_algorithm: 'pkcs1v15' }));

    const verified = await withOpenssl(async ({ file, openssl }) =>
      openssl(['dgst', '-sha256', '-verify', await file('pub.pem', publicPem), '-signature', await file('sig', signatureBytes(signed.signature)), await file('msg', MESSAGE)]),
    );
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.stdout.trim(), 'Verified OK');
  });

  test('rsa-pss key imports as rsa', async () => {
    const { material } = await opensslKey(['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048']);
    const original = createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
    assert.equal(original.asymmetricKeyType, 'rsa-pss');

    const ciphertext = await wrapWithOpenssl(wrappingKey, material);
    assert.equal(await harness.send('update', 'keys/byok-pss/import', { ciphertext, type: 'rsa-2048' }), null);
    const signature = nodeSign('sha256', Buffer.from(MESSAGE), { key: original, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });

    const verified = dataOf(await harness.send('update', 'verify/byok-pss', { input: b64(MESSAGE), signature: `vault:v1:${signature.toString('base64')}` }));
    assert.equal(verified.valid, true);
    const signed = dataOf(await harness.send('update', 'sign/byok-pss', { input: b64(MESSAGE), signature_algorithm: 'pkcs1v15' }));
    assert.equal(dataOf(await harness.send('update', 'verify/byok-pss', { input: b64(MESSAGE), signature: signed.signature, signature_algorithm: 'pkcs1v15' })).valid, true);
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/byok-pss-ec/import', { ciphertext: wrapWithNode(wrappingKey, material), type: 'ecdsa-p256' }),
      'invalid field "ciphertext": the unwrapped key is a 2048-bit rsa-pss key, but key type ecdsa-p256 needs an ec key on curve P-256',
    );
  });

  test('every key type', async () => {
    const symmetric: Array<[string, number]> = [
      ['aes128-gcm96', 16],
      ['aes256-gcm96', 32],
      ['chacha20-poly1305', 32],
    ];
    for (const [type, size] of symmetric) {
      const raw = randomBytes(size);
      await importKey(harness, `all-${type}`, raw, { type, exportable: true });

      assert.deepEqual(await exportedKeys(harness, 'encryption-key', `all-${type}`), { '1': raw.toString('base64') }, type);
      const encrypted = await encryptText(harness, `all-${type}`, MESSAGE);
      assert.equal(await decryptText(harness, `all-${type}`, encrypted), MESSAGE, type);
      assert.equal(dataOf(await harness.send('read', `keys/all-${type}`)).type, type);
    }

    const hmacKey = randomBytes(48);
    await importKey(harness, 'all-hmac', hmacKey, { type: 'hmac' });
    const mac = dataOf(await harness.send('update', 'hmac/all-hmac', { input: b64(MESSAGE) })).hmac;
    assert.equal(mac, `vault:v1:${createHmac('sha256', hmacKey).update(MESSAGE).digest('base64')}`);
    assert.equal(dataOf(await harness.send('read', 'keys/all-hmac')).key_size, 48);

    const asymmetric: Array<[string, KeyObject]> = [
      ['ed25519', (await generatePair('ed25519', {})).privateKey],
      ['ecdsa-p256', (await generatePair('ec', { namedCurve: 'P-256' })).privateKey],
      ['ecdsa-p384', (await generatePair('ec', { namedCurve: 'P-384' })).privateKey],
      ['ecdsa-p521', (await generatePair('ec', { namedCurve: 'P-521' })).privateKey],
      ['rsa-2048', (await generatePair('rsa', { modulusLength: 2048 })).privateKey],
      ['rsa-3072', (await generatePair('rsa', { modulusLength: 3072 })).privateKey],
      ['rsa-4096', (await generatePair('rsa', { modulusLength: 4096 })).privateKey],
    ];
    for (const [type, privateKey] of asymmetric) {
      await importKey(harness, `all-${type}`, pkcs8(privateKey), { type });

      const signed = dataOf(await harness.send('update', `sign/all-${type}`, { input: b64(MESSAGE), signature_algorithm: 'pkcs1v15' }));
      const hash = type === 'ed25519' ? null : 'sha256';
      assert.equal(nodeVerify(hash, Buffer.from(MESSAGE), createPublicKey(privateKey), signatureBytes(signed.signature)), true, type);
      const key = dataOf(await harness.send('read', `keys/all-${type}`));
      const publicKey = String((key.keys as Record<string, Record<string, unknown>>)['1'].public_key);
      const expected = type === 'ed25519' ? createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).subarray(12).toString('base64') : spkiPem(privateKey);
      assert.equal(publicKey, expected, type);
      assert.equal(key.imported_key, true, type);
    }
  });

  test('each hash_function', async () => {
    const cases: Array<[string, string]> = [
      ['SHA1', 'sha1'],
      ['SHA224', 'sha224'],
      ['SHA256', 'sha256'],
      ['SHA384', 'sha384'],
      ['SHA512', 'sha512'],
      ['sha384', 'sha384'],
    ];

    for (const [field, hash] of cases) {
      const raw = randomBytes(32);
      const name = `hash-${field}`;
      const ciphertext = wrapWithNode(wrappingKey, raw, { hash });

      assert.equal(await harness.send('update', `keys/${name}/import`, { ciphertext, hash_function: field, exportable: true }), null);

      assert.deepEqual(await exportedKeys(harness, 'encryption-key', name), { '1': raw.toString('base64') }, field);
    }
  });

  test('settings are kept', async () => {
    await importKey(harness, 'settings', randomBytes(32), {
      derived: true,
      exportable: true,
      allow_plaintext_backup: true,
      allow_rotation: true,
      auto_rotate_period: '48h',
      context: b64('tenant'),
    });

    const key = dataOf(await harness.send('read', 'keys/settings'));
    assert.equal(key.derived, true);
    assert.equal(key.exportable, true);
    assert.equal(key.allow_plaintext_backup, true);
    assert.equal(key.auto_rotate_period, 172_800);
    assert.equal(key.imported_key, true);
    assert.equal(key.imported_key_allow_rotation, true);
    const encrypted = await encryptText(harness, 'settings', MESSAGE, { context: b64('tenant') });
    assert.equal(await decryptText(harness, 'settings', encrypted, { context: b64('tenant') }), MESSAGE);
  });

  test('type ignores case', async () => {
    await importKey(harness, 'upper', randomBytes(16), { type: 'AES128-GCM96' });

    assert.equal(dataOf(await harness.send('read', 'keys/upper')).type, 'aes128-gcm96');
  });

  test('generated keys are not imported', async () => {
    const key = await createKey(harness, 'generated');

    assert.equal(key.imported_key, false);
    assert.equal('imported_key_allow_rotation' in key, false);
  });

  test('existing key name is rejected', async () => {
    await createKey(harness, 'taken');
    const ciphertext = wrapWithNode(wrappingKey, randomBytes(32));

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/taken/import', { ciphertext }),
      'the import path cannot be used with an existing key; use import-version to rotate an existing imported key',
    );
  });

  test('invalid requests change nothing', async () => {
    const aes = randomBytes(32);
    const good = wrapWithNode(wrappingKey, aes);
    const tampered = Buffer.from(good, 'base64');
    tampered[tampered.length - 3] ^= 1;
    const p384 = pkcs8(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey);
    const ed25519 = pkcs8(generateKeyPairSync('ed25519').privateKey);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'missing field "ciphertext": give the key material wrapped for this mount\'s wrapping_key, or public_key to import a public key alone'],
      [{ ciphertext: 'not base64!' }, 'invalid field "ciphertext": illegal base64 character at offset 3'],
      [
        { ciphertext: randomBytes(100).toString('base64') },
        'invalid field "ciphertext": 100 bytes is too short: expected a 512-byte RSA-OAEP encrypted AES key followed by at least 16 bytes of wrapped key',
      ],
      [
        { ciphertext: Buffer.concat([Buffer.from(good, 'base64'), Buffer.from([1, 2, 3])]).toString('base64') },
        'invalid field "ciphertext": the wrapped key is 43 bytes, but AES key wrap output is a multiple of 8 bytes',
      ],
      [
        { ciphertext: good, hash_function: 'SHA1' },
        'invalid field "ciphertext": the ephemeral AES key cannot be decrypted with this mount\'s wrapping key and RSA-OAEP with SHA1: check hash_function and that the key was wrapped for this mount',
      ],
      [
        { ciphertext: wrapWithNode(wrappingKey, aes, { ephemeralKey: randomBytes(16) }) },
        'invalid field "ciphertext": the ephemeral AES key is 16 bytes, expected 32 (AES-256)',
      ],
      [
        { ciphertext: tampered.toString('base64') },
        'invalid field "ciphertext": the wrapped key failed the integrity check of AES key wrap with padding (RFC 5649)',
      ],
      [
        { ciphertext: wrapWithNode(wrappingKey, randomBytes(16)) },
        'invalid field "ciphertext": the unwrapped key is 16 bytes, but key type aes256-gcm96 needs 32',
      ],
      [
        { ciphertext: wrapWithNode(wrappingKey, randomBytes(24)), type: 'aes128-gcm96' },
        'invalid field "ciphertext": the unwrapped key is 24 bytes, but key type aes128-gcm96 needs 16',
      ],
      [
        { ciphertext: wrapWithNode(wrappingKey, randomBytes(16)), type: 'hmac' },
        'invalid field "ciphertext": the unwrapped key is 16 bytes, but key type hmac needs 32 to 512',
      ],
      [
        { ciphertext: wrapWithNode(wrappingKey, Buffer.alloc(64, 0xa5)), type: 'ed25519' },
        'invalid field "ciphertext": the unwrapped key is not a PKCS#8 DER private key',
      ],
      [
        { ciphertext: wrapWithNode(wrappingKey, Buffer.concat([p384, Buffer.from('trailing')])), type: 'ecdsa-p384' },
        'invalid field "ciphertext": the unwrapped key has 8 bytes after its PKCS#8 DER private key; wrap the DER alone',
      ],
      [
        { ciphertext: wrapWithNode(wrappingKey, p384), type: 'ecdsa-p256' },
        'invalid field "ciphertext": the unwrapped key is an ec key on curve P-384, but key type ecdsa-p256 needs an ec key on curve P-256',
      ],
      [
        { ciphertext: wrapWithNode(wrappingKey, p384), type: 'rsa-2048' },
        'invalid field "ciphertext": the unwrapped key is an ec key on curve P-384, but key type rsa-2048 needs a 2048-bit rsa key',
      ],
      [
        { ciphertext: wrapWithNode(wrappingKey, ed25519), type: 'ecdsa-p384' },
        'invalid field "ciphertext": the unwrapped key is an ed25519 key, but key type ecdsa-p384 needs an ec key on curve P-384',
      ],
      [
        { ciphertext: good, type: 'aes512' },
        'invalid field "type": unknown key type "aes512": use one of aes128-gcm96, aes256-gcm96, chacha20-poly1305, ed25519, ecdsa-p256, ecdsa-p384, ecdsa-p521, rsa-2048, rsa-3072, rsa-4096, hmac',
      ],
      [{ ciphertext: good, hash_function: 'MD5' }, 'invalid field "hash_function": unknown hash function "MD5": use one of SHA1, SHA224, SHA256, SHA384, SHA512'],
      [
        { ciphertext: good, derived: true, convergent_encryption: true },
        'invalid field "convergent_encryption": import cannot be used on keys with convergent encryption enabled',
      ],
      [{ ciphertext: good, type: 'ecdsa-p256', derived: true }, 'invalid field "derived": key derivation is not supported for keys of type ecdsa-p256'],
      [{ ciphertext: good, auto_rotate_period: '24h' }, 'invalid field "auto_rotate_period": allow_rotation must be set to true if auto-rotation is enabled'],
      [
        { ciphertext: good, allow_rotation: true, auto_rotate_period: '30m' },
        'invalid field "auto_rotate_period": 1800s is shorter than an hour: use 0 to turn rotation off or at least 1h',
      ],
      [{ ciphertext: good, context: 'no!' }, 'invalid field "context": illegal base64 character at offset 2'],
      [{ ciphertext: good, key_size: 32 }, 'unknown field "key_size"'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'keys/rejected/import', body), message);
    }
    assert.equal(await harness.send('read', 'keys/rejected'), null);
  });

  test('inconsistent rsa and ec keys rejected', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const otherEc = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const modulus = BigInt(`0x${Buffer.from(rsa.n!, 'base64url').toString('hex')}`);
    const one = Buffer.from([1]).toString('base64url');
    const fromJwk = (jwk: JsonWebKey): Buffer => pkcs8(createPrivateKey({ key: jwk, format: 'jwk' }));
    const wrapped = (jwk: JsonWebKey): string => wrapWithNode(wrappingKey, fromJwk(jwk));
    const inconsistent = 'invalid field "ciphertext": the unwrapped RSA key is inconsistent: ';
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { ciphertext: wrapped({ ...rsa, e: one, d: one, dp: one, dq: one }), type: 'rsa-2048' },
        'invalid field "ciphertext": the unwrapped RSA key has public exponent 1: it must be odd and at least 3, such as 65537',
      ],
      [
        { ciphertext: wrapped({ ...rsa, n: Buffer.from((modulus + 1n).toString(16), 'hex').toString('base64url') }), type: 'rsa-2048' },
        'invalid field "ciphertext": the unwrapped RSA key has an even modulus, which no two odd primes make',
      ],
      [{ ciphertext: wrapped({ ...rsa, n: otherRsa.n }), type: 'rsa-2048' }, `${inconsistent}its modulus is not the product of its two primes`],
      [
        { ciphertext: wrapped({ ...rsa, p: Buffer.alloc(4096, 0xff).toString('base64url') }), type: 'rsa-2048' },
        `${inconsistent}one of its private values is not smaller than its modulus`,
      ],
      [{ ciphertext: wrapped({ ...rsa, d: otherRsa.d }), type: 'rsa-2048' }, `${inconsistent}its private exponent does not match its public exponent`],
      [{ ciphertext: wrapped({ ...rsa, qi: one }), type: 'rsa-2048' }, `${inconsistent}its CRT exponents or coefficient do not match its primes`],
      [
        { ciphertext: wrapped({ ...ec, x: otherEc.x, y: otherEc.y }), type: 'ecdsa-p256' },
        'invalid field "ciphertext": the unwrapped EC key is inconsistent: its public key is not the one of its private scalar',
      ],
      [
        { ciphertext: wrapped({ ...ec, d: Buffer.alloc(32).toString('base64url') }), type: 'ecdsa-p256' },
        'invalid field "ciphertext": the unwrapped EC key has a private scalar out of range for its curve',
      ],
    ];
    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'keys/inconsistent/import', body), message);
    }

    // A public key alone with exponent 1 would "encrypt" to the padded plaintext.
    const publicKey = createPublicKey({ key: { kty: 'RSA', n: rsa.n, e: one }, format: 'jwk' });
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/inconsistent/import', { public_key: String(publicKey.export({ type: 'spki', format: 'pem' })), type: 'rsa-2048' }),
      'invalid field "public_key": the RSA public key has public exponent 1: it must be odd and at least 3, such as 65537',
    );
    assert.equal(await harness.send('read', 'keys/inconsistent'), null);
  });

  test('rotation needs allow_rotation', async () => {
    await importKey(harness, 'fixed', randomBytes(32));
    await importKey(harness, 'rotating', randomBytes(32), { allow_rotation: true });

    await assertRejectedUnchanged(harness, () => harness.send('update', 'keys/fixed/rotate'), 'imported key fixed does not allow rotation within Vault');
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/fixed/config', { auto_rotate_period: '24h' }),
      'invalid field "auto_rotate_period": imported key fixed does not allow rotation: it was imported without allow_rotation',
    );
    const rotated = dataOf(await harness.send('update', 'keys/rotating/rotate'));
    const configured = dataOf(await harness.send('update', 'keys/rotating/config', { auto_rotate_period: '24h' }));

    assert.equal(rotated.latest_version, 2);
    assert.equal(rotated.imported_key, true);
    assert.equal(rotated.imported_key_allow_rotation, true);
    assert.equal(configured.auto_rotate_period, 86_400);
    assert.equal(dataOf(await harness.send('update', 'keys/fixed/config', { auto_rotate_period: 0 })).auto_rotate_period, 0);
  });

  test('import_version adds imported versions', async () => {
    const first = randomBytes(32);
    const second = randomBytes(32);
    await importKey(harness, 'versions', first, { exportable: true });
    const old = await encryptText(harness, 'versions', 'old');

    const response = await harness.send('update', 'keys/versions/import_version', { ciphertext: wrapWithNode(wrappingKey, second, { hash: 'sha224' }), hash_function: 'SHA224' });

    assert.equal(response, null);
    const key = dataOf(await harness.send('read', 'keys/versions'));
    assert.equal(key.latest_version, 2);
    assert.equal(key.imported_key, true);
    assert.deepEqual(await exportedKeys(harness, 'encryption-key', 'versions'), { '1': first.toString('base64'), '2': second.toString('base64') });
    assert.equal(await decryptText(harness, 'versions', old), 'old');
    const fresh = await encryptText(harness, 'versions', 'new');
    assert.match(fresh, /^vault:v2:/);
    assert.equal(decryptWithRawKey(fresh, second), 'new');
  });

  test('import_version of asymmetric and hmac keys', async () => {
    const original = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const next = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    await importKey(harness, 'ec-versions', pkcs8(original), { type: 'ecdsa-p384' });
    const macKey = randomBytes(40);
    await importKey(harness, 'mac-versions', randomBytes(40), { type: 'hmac' });

    await harness.send('update', 'keys/ec-versions/import_version', { ciphertext: wrapWithNode(wrappingKey, pkcs8(next)) });
    await harness.send('update', 'keys/mac-versions/import_version', { ciphertext: wrapWithNode(wrappingKey, macKey) });

    const signed = dataOf(await harness.send('update', 'sign/ec-versions/sha2-384', { input: b64(MESSAGE) }));
    assert.equal(signed.key_version, 2);
    assert.equal(nodeVerify('sha384', Buffer.from(MESSAGE), createPublicKey(next), signatureBytes(signed.signature)), true);
    const mac = dataOf(await harness.send('update', 'hmac/mac-versions', { input: b64(MESSAGE) })).hmac;
    assert.equal(mac, `vault:v2:${createHmac('sha256', macKey).update(MESSAGE).digest('base64')}`);
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/mac-versions/import_version', { ciphertext: wrapWithNode(wrappingKey, randomBytes(48)) }),
      'invalid field "ciphertext": the unwrapped key is 48 bytes, but key "mac-versions" has key_size 40',
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/ec-versions/import_version', { ciphertext: wrapWithNode(wrappingKey, pkcs8(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)) }),
      'invalid field "ciphertext": the unwrapped key is an ec key on curve P-256, but key type ecdsa-p384 needs an ec key on curve P-384',
    );
  });

  test('import_version needs an imported key', async () => {
    await createKey(harness, 'native');
    const ciphertext = wrapWithNode(wrappingKey, randomBytes(32));

    await assertRejectedUnchanged(harness, () => harness.send('update', 'keys/native/import_version', { ciphertext }), 'the import_version endpoint can only be used with an imported key');
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/absent/import_version', { ciphertext }),
      'no key found with name absent; to import a new key, use the import/ endpoint',
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/native/import_version', {}),
      'missing field "ciphertext": give the key material wrapped for this mount\'s wrapping_key, or public_key to import a public key alone',
    );
  });

  test('backup and restore keep the imported flags', async () => {
    await importKey(harness, 'portable', randomBytes(32), { exportable: true, allow_plaintext_backup: true });
    const ciphertext = await encryptText(harness, 'portable', MESSAGE);
    const backup = String(dataOf(await harness.send('read', 'backup/portable')).backup);
    const target = createHarness();

    assert.equal(await target.send('update', 'restore', { backup }), null);

    const key = dataOf(await target.send('read', 'keys/portable'));
    assert.equal(key.imported_key, true);
    assert.equal(key.imported_key_allow_rotation, false);
    assert.equal(await decryptText(target, 'portable', ciphertext), MESSAGE);
    await assertRejects(target.send('update', 'keys/portable/rotate'), 400, 'imported key portable does not allow rotation within Vault');
  });

  test('imported keys survive a reopen', async () => {
    const raw = randomBytes(32);
    await importKey(harness, 'durable', raw);

    const reopened = createHarness({ storage: harness.storage });

    assert.equal(await wrappingKeyOf(reopened), wrappingKey);
    const key = dataOf(await reopened.send('read', 'keys/durable'));
    assert.equal(key.imported_key, true);
    assert.equal(key.imported_key_allow_rotation, false);
    assert.equal(decryptWithRawKey(await encryptText(reopened, 'durable', MESSAGE), raw), MESSAGE);
    await assertRejects(reopened.send('update', 'keys/durable/rotate'), 400, 'imported key durable does not allow rotation within Vault');
  });
});

describe('import without a wrapping key', () => {
  test('is rejected and generates none', async () => {
    const harness = createHarness();
    const other = generateKeyPairSync('rsa', { modulusLength: 4096 }).publicKey;
    const ciphertext = wrapWithNode(String(other.export({ type: 'spki', format: 'pem' })), randomBytes(32));

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/early/import', { ciphertext }),
      'invalid field "ciphertext": this mount has no wrapping key yet: read wrapping_key and wrap the key with it',
    );
    assert.equal((await harness.snapshot()).size, 0);
  });
});

describe('imported key rotation', () => {
  test('automatic rotation needs allow_rotation', async () => {
    const harness = createHarness();
    await importKey(harness, 'auto', randomBytes(32), { allow_rotation: true, auto_rotate_period: '1h' });

    harness.clock.advance(3600);
    await harness.backend.autoRotation.check();

    const key = dataOf(await harness.send('read', 'keys/auto'));
    assert.equal(key.latest_version, 2);
    assert.equal(key.imported_key, true);
  });

  test('old stored keys load as generated', async () => {
    const harness = createHarness();
    await createKey(harness, 'legacy');
    const storageKey = `${MOUNT_PREFIX}policy/legacy`;
    const stored = JSON.parse(String((await harness.storage.get(storageKey))?.value)) as Record<string, unknown>;
    delete stored.imported;
    delete stored.allow_imported_key_rotation;
    await harness.storage.put({ key: storageKey, value: Buffer.from(JSON.stringify(stored)) });

    const reopened = createHarness({ storage: harness.storage });
    const key = dataOf(await reopened.send('read', 'keys/legacy'));

    assert.equal(key.imported_key, false);
    assert.equal('imported_key_allow_rotation' in key, false);
    assert.equal(dataOf(await reopened.send('update', 'keys/legacy/rotate')).latest_version, 2);
    const rewritten = JSON.parse(String((await harness.storage.get(storageKey))?.value)) as Record<string, unknown>;
    assert.equal(rewritten.imported, false);
    assert.equal(rewritten.allow_imported_key_rotation, false);
  });
});

/**
 * Generates a private key with `openssl genpkey` and returns its PKCS#8 DER
 * from `openssl pkcs8 -topk8` and its public key PEM from `openssl pkey`.
 * OpenSSL 3.0 writes some key types in their own DER format with
 * `genpkey -outform DER`, so the PKCS#8 conversion is a separate step.
 */
async function opensslKey(algorithmArgs: string[]): Promise<{ material: Buffer; publicPem: string }> {
  return withOpenssl(async ({ file, openssl }) => {
    const pemPath = await file('key.pem', '');
    const derPath = await file('key.der', '');
    const publicPath = await file('key.pub', '');
    const generated = await openssl(['genpkey', ...algorithmArgs, '-out', pemPath]);
    assert.equal(generated.code, 0, generated.stderr);
    const converted = await openssl(['pkcs8', '-topk8', '-nocrypt', '-in', pemPath, '-outform', 'DER', '-out', derPath]);
    assert.equal(converted.code, 0, converted.stderr);
    const exported = await openssl(['pkey', '-in', pemPath, '-pubout', '-out', publicPath]);
    assert.equal(exported.code, 0, exported.stderr);
    return { material: await readFile(derPath), publicPem: String(await readFile(publicPath)) };
  });
}
