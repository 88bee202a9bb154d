import assert from 'node:assert/strict';
import { constants, createECDH, createPublicKey, generateKeyPairSync, privateDecrypt, sign as nodeSign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { before, describe, test } from 'node:test';
import { wrapWithNode, wrappingKeyOf } from './import-support.js';
import { withOpenssl } from './openssl-support.js';
import { assertRejectedUnchanged, assertRejects, b64, createHarness, dataOf, type Harness } from './test-support.js';

const MESSAGE = 'verify me';
const PUBLIC_KEY_ONLY = 'this key version has only an imported public key: import its private key with import_version';

function publicPem(key: KeyObject): string {
  return String(key.export({ type: 'spki', format: 'pem' }));
}

function pkcs8(key: KeyObject): Buffer {
  return key.export({ type: 'pkcs8', format: 'der' });
}

async function valid(harness: Harness, name: string, signature: Buffer, input = MESSAGE): Promise<unknown> {
  return dataOf(await harness.send('update', `verify/${name}`, { input: b64(input), signature: `vault:v1:${signature.toString('base64')}` })).valid;
}

async function versionKeys(harness: Harness, name: string): Promise<Record<string, Record<string, unknown>>> {
  return dataOf(await harness.send('read', `keys/${name}`)).keys as Record<string, Record<string, unknown>>;
}

describe('public key import', () => {
  let harness: Harness;
  let wrappingKey: string;
  before(async () => {
    harness = createHarness();
    wrappingKey = await wrappingKeyOf(harness);
  });

  test('ecdsa public key verifies openssl signatures', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicPem(pair.publicKey);
    const privatePem = String(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));

    assert.equal(await harness.send('update', 'keys/ec-public/import', { public_key: pem, type: 'ecdsa-p256', exportable: true }), null);
    const signature = await withOpenssl(async ({ file, openssl }) => {
      const signaturePath = await file('sig', '');
      const result = await openssl(['dgst', '-sha256', '-sign', await file('key.pem', privatePem), '-out', signaturePath, await file('msg', MESSAGE)]);
      assert.equal(result.code, 0, result.stderr);
      return readFile(signaturePath);
    });

    assert.equal(await valid(harness, 'ec-public', signature), true);
    assert.equal(await valid(harness, 'ec-public', signature, `${MESSAGE}.`), false);
    const key = dataOf(await harness.send('read', 'keys/ec-public'));
    assert.equal(key.imported_key, true);
    assert.equal((key.keys as Record<string, Record<string, unknown>>)['1'].public_key, pem);
    const exported = dataOf(await harness.send('read', 'export/public-key/ec-public')).keys as Record<string, string>;
    assert.equal(exported['1'], pem.trim());
    await assertRejects(harness.send('update', 'sign/ec-public', { input: b64(MESSAGE) }), 400, PUBLIC_KEY_ONLY);
    await assertRejects(harness.send('read', 'export/signing-key/ec-public'), 400, PUBLIC_KEY_ONLY);
  });

  test('rsa public key encrypts', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await harness.send('update', 'keys/rsa-public/import', { public_key: publicPem(pair.publicKey), type: 'rsa-2048' });

    const ciphertext = String(dataOf(await harness.send('update', 'encrypt/rsa-public', { plaintext: b64(MESSAGE) })).ciphertext);

    const raw = Buffer.from(ciphertext.replace(/^vault:v1:/, ''), 'base64');
    const plaintext = privateDecrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, raw);
    assert.equal(plaintext.toString(), MESSAGE);
    // Decryption reports every failure of the private key alike, so it does not name the missing key.
    await assertRejects(harness.send('update', 'decrypt/rsa-public', { ciphertext }), 400, 'failed to RSA decrypt the ciphertext: decryption error');
    const signature = nodeSign('sha256', Buffer.from(MESSAGE), { key: pair.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    assert.equal(await valid(harness, 'rsa-public', signature), true);
  });

  test('ed25519 public key verifies', async () => {
    const pair = generateKeyPairSync('ed25519');
    await harness.send('update', 'keys/ed-public/import', { public_key: publicPem(pair.publicKey), type: 'ed25519' });

    const signature = nodeSign(null, Buffer.from(MESSAGE), pair.privateKey);

    assert.equal(await valid(harness, 'ed-public', signature), true);
    const raw = pair.publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64');
    assert.equal((await versionKeys(harness, 'ed-public'))['1'].public_key, raw);
    await assertRejects(harness.send('update', 'sign/ed-public', { input: b64(MESSAGE) }), 400, PUBLIC_KEY_ONLY);
  });

  test('import_version completes and adds versions', async () => {
    const first = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const second = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const third = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    await harness.send('update', 'keys/staged/import', { public_key: publicPem(first.publicKey), type: 'ecdsa-p384' });
    const before = (await versionKeys(harness, 'staged'))['1'];

    await harness.send('update', 'keys/staged/import_version', { ciphertext: wrapWithNode(wrappingKey, pkcs8(first.privateKey)) });

    const completed = dataOf(await harness.send('read', 'keys/staged'));
    assert.equal(completed.latest_version, 1);
    assert.deepEqual((completed.keys as Record<string, unknown>)['1'], before);
    const signed = dataOf(await harness.send('update', 'sign/staged', { input: b64(MESSAGE) }));
    assert.equal(signed.key_version, 1);

    await harness.send('update', 'keys/staged/import_version', { public_key: publicPem(second.publicKey) });
    await harness.send('update', 'keys/staged/import_version', { ciphertext: wrapWithNode(wrappingKey, pkcs8(third.privateKey)) });

    const keys = await versionKeys(harness, 'staged');
    assert.deepEqual(Object.keys(keys), ['1', '2', '3']);
    assert.equal(keys['2'].public_key, publicPem(second.publicKey));
    assert.equal(keys['3'].public_key, publicPem(third.publicKey));
    await assertRejects(harness.send('update', 'sign/staged', { input: b64(MESSAGE), key_version: 2 }), 400, PUBLIC_KEY_ONLY);

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/staged/import_version', { ciphertext: wrapWithNode(wrappingKey, pkcs8(third.privateKey)), version: 2 }),
      'invalid field "ciphertext": the unwrapped private key does not match the public key of version 2',
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/staged/import_version', { ciphertext: wrapWithNode(wrappingKey, pkcs8(first.privateKey)), version: 1 }),
      'invalid field "version": version 1 of key "staged" already has its private key',
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/staged/import_version', { ciphertext: wrapWithNode(wrappingKey, pkcs8(first.privateKey)), version: 9 }),
      'invalid field "version": version 9 of key "staged" does not exist or is below min_decryption_version',
    );
    await harness.send('update', 'keys/staged/import_version', { ciphertext: wrapWithNode(wrappingKey, pkcs8(second.privateKey)), version: 2 });
    assert.equal(dataOf(await harness.send('update', 'sign/staged', { input: b64(MESSAGE), key_version: 2 })).key_version, 2);
    assert.equal(dataOf(await harness.send('read', 'keys/staged')).latest_version, 3);
  });

  test('compressed ec point completes', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(String(pair.privateKey.export({ format: 'jwk' }).d), 'base64url'));
    // SubjectPublicKeyInfo of a P-256 key up to its 33-byte compressed point (RFC 5480).
    const header = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
    const compressed = createPublicKey({ key: Buffer.concat([header, ecdh.getPublicKey(null, 'compressed')]), format: 'der', type: 'spki' });
    await harness.send('update', 'keys/compressed/import', { public_key: publicPem(compressed), type: 'ecdsa-p256' });
    assert.equal((await versionKeys(harness, 'compressed'))['1'].public_key, publicPem(pair.publicKey), 'the point is stored uncompressed');

    await harness.send('update', 'keys/compressed/import_version', { ciphertext: wrapWithNode(wrappingKey, pkcs8(pair.privateKey)), version: 1 });

    const completed = dataOf(await harness.send('read', 'keys/compressed'));
    assert.equal(completed.latest_version, 1);
    assert.equal(dataOf(await harness.send('update', 'sign/compressed', { input: b64(MESSAGE) })).key_version, 1);

    // A private key whose PKCS#8 carries its public point compressed.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const otherEcdh = createECDH('prime256v1');
    const scalar = Buffer.from(String(other.privateKey.export({ format: 'jwk' }).d), 'base64url');
    otherEcdh.setPrivateKey(scalar);
    const ecPrivateKey = Buffer.concat([Buffer.from('304b0201010420', 'hex'), scalar, Buffer.from('a124032200', 'hex'), otherEcdh.getPublicKey(null, 'compressed')]);
    const algorithm = Buffer.from('301306072a8648ce3d020106082a8648ce3d030107', 'hex');
    const body = Buffer.concat([Buffer.from('020100', 'hex'), algorithm, Buffer.from([0x04, ecPrivateKey.length]), ecPrivateKey]);
    const compressedPkcs8 = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    await harness.send('update', 'keys/compressed/import_version', { public_key: publicPem(other.publicKey) });
    await harness.send('update', 'keys/compressed/import_version', { ciphertext: wrapWithNode(wrappingKey, compressedPkcs8) });

    const keys = await versionKeys(harness, 'compressed');
    assert.deepEqual(Object.keys(keys), ['1', '2'], 'the private key completes version 2');
    assert.equal(keys['2'].public_key, publicPem(other.publicKey));
    assert.equal(dataOf(await harness.send('update', 'sign/compressed', { input: b64(MESSAGE) })).key_version, 2);
  });

  test('backup and reopen keep public keys', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-521' });
    await harness.send('update', 'keys/kept/import', { public_key: publicPem(pair.publicKey), type: 'ecdsa-p521', exportable: true, allow_plaintext_backup: true });
    const signature = nodeSign('sha256', Buffer.from(MESSAGE), pair.privateKey);
    const backup = String(dataOf(await harness.send('read', 'backup/kept')).backup);
    const target = createHarness();

    await target.send('update', 'restore', { backup });
    const reopened = createHarness({ storage: harness.storage });

    for (const copy of [target, reopened]) {
      assert.equal(await valid(copy, 'kept', signature), true);
      await assertRejects(copy.send('update', 'sign/kept', { input: b64(MESSAGE) }), 400, PUBLIC_KEY_ONLY);
    }
  });

  test('restore checks public key versions', async () => {
    const pair = generateKeyPairSync('ed25519');
    await harness.send('update', 'keys/checked/import', { public_key: publicPem(pair.publicKey), type: 'ed25519', exportable: true, allow_plaintext_backup: true });
    const document = JSON.parse(Buffer.from(String(dataOf(await harness.send('read', 'backup/checked')).backup), 'base64').toString()) as Record<string, unknown>;
    const tampered = (change: (copy: Record<string, unknown>) => void): string => {
      const copy = structuredClone(document);
      change(copy);
      return b64(JSON.stringify(copy));
    };
    const versionOf = (copy: Record<string, unknown>) => (copy.versions as Record<string, Record<string, unknown>>)['1'];
    const target = createHarness();
    const cases: Array<[string, string]> = [
      [tampered((copy) => (versionOf(copy).public_key = b64('short'))), 'versions.1.public_key is not a 32-byte Ed25519 public key'],
      [tampered((copy) => (copy.derived = true)), 'versions.1 has no private key, which a derived key needs'],
      [tampered((copy) => (copy.imported = false)), 'versions.1.key is not a string'],
    ];

    for (const [backup, problem] of cases) {
      await assertRejectedUnchanged(target, () => target.send('update', 'restore', { backup }), `invalid field "backup": not a Coffer key backup: ${problem}`);
    }
  });

  test('invalid public key imports change nothing', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicPem(pair.publicKey);
    await harness.send('update', 'keys/aes-imported/import', { ciphertext: wrapWithNode(wrappingKey, Buffer.alloc(32, 7)) });
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['keys/bad/import', { public_key: pem, ciphertext: wrapWithNode(wrappingKey, Buffer.alloc(32, 1)), type: 'ecdsa-p256' }, 'invalid field "public_key": give either ciphertext or public_key, not both'],
      ['keys/bad/import', { public_key: pem }, 'invalid field "public_key": key type aes256-gcm96 has no public key: import it with ciphertext'],
      [
        'keys/bad/import',
        { public_key: publicPem(generateKeyPairSync('ed25519').publicKey), type: 'ed25519', derived: true },
        'invalid field "public_key": a derived key cannot be imported as a public key alone, because derivation needs the private key',
      ],
      [
        'keys/bad/import',
        { public_key: String(pair.privateKey.export({ type: 'pkcs8', format: 'pem' })), type: 'ecdsa-p256' },
        'invalid field "public_key": expected one PEM block of type "PUBLIC KEY" (SubjectPublicKeyInfo)',
      ],
      [
        'keys/bad/import',
        { public_key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', type: 'ecdsa-p256' },
        'invalid field "public_key": the PEM block is not a valid SubjectPublicKeyInfo public key',
      ],
      [
        'keys/bad/import',
        { public_key: pem, type: 'ecdsa-p384' },
        'invalid field "public_key": the public key is an ec key on curve P-256, but key type ecdsa-p384 needs an ec key on curve P-384',
      ],
      ['keys/aes-imported/import_version', { public_key: pem }, 'invalid field "public_key": key type aes256-gcm96 has no public key: import it with ciphertext'],
      [
        'keys/aes-imported/import_version',
        { public_key: pem, version: 1 },
        'invalid field "version": version only applies with ciphertext, because a public key always becomes a new version',
      ],
    ];

    for (const [path, body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, body), message);
    }
  });
});
