import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Logger } from '@coffer/sdk';
import { GcpCkmsSeal } from './gcpckms-seal.js';
import { parseGcpCkmsSettings } from './settings.js';
import { startGcpKmsDouble, type GcpKmsDouble } from './testing/index.js';

const silentLogger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
} as unknown as Logger;

describe('gcpckms seal against the KMS double', () => {
  let kms: GcpKmsDouble;
  let seal: GcpCkmsSeal;

  const open = (cryptoKey: string): GcpCkmsSeal =>
    new GcpCkmsSeal(
      parseGcpCkmsSettings({ project: kms.project, region: kms.region, key_ring: kms.keyRing, crypto_key: cryptoKey, endpoint: kms.endpoint }, {}),
      silentLogger,
    );

  before(async () => {
    kms = await startGcpKmsDouble();
    seal = open(kms.cryptoKey);
  });
  after(async () => {
    await seal.close();
    await kms.close();
  });

  test('key id is the primary version', async () => {
    assert.equal(
      await seal.keyId(),
      `projects/${kms.project}/locations/global/keyRings/${kms.keyRing}/cryptoKeys/${kms.cryptoKey}/cryptoKeyVersions/1`,
    );
    assert.deepEqual(kms.calls.slice(-1), ['GetCryptoKey']);
  });

  test('encrypt then decrypt', async () => {
    const plaintext = Buffer.from('root key material');
    const blob = await seal.encrypt(plaintext, Buffer.from('core/wrapped-root-key'));
    assert.match(blob.keyInfo.keyId, /\/cryptoKeyVersions\/1$/);
    assert.ok(!blob.ciphertext.includes(plaintext));
    assert.deepEqual(await seal.decrypt(blob, Buffer.from('core/wrapped-root-key')), plaintext);
    assert.deepEqual(kms.calls.slice(-2), ['Encrypt', 'Decrypt']);
  });

  test('tampered data key is rejected', async () => {
    const blob = await seal.encrypt(Buffer.from('value'));
    const wrappedKey = Buffer.from(blob.keyInfo.wrappedKey!);
    wrappedKey[20] ^= 1;
    await assert.rejects(seal.decrypt({ ...blob, keyInfo: { ...blob.keyInfo, wrappedKey } }), {
      message:
        'gcpckms seal: decrypt failed: Cloud KMS rejected the request as invalid, e.g. a ciphertext made by another key: Decryption failed: the ciphertext is invalid.',
    });
  });

  test('wrong associated data is rejected', async () => {
    const blob = await seal.encrypt(Buffer.from('value'), Buffer.from('a'));
    await assert.rejects(seal.decrypt(blob, Buffer.from('b')), {
      message: 'gcpckms seal: decrypt failed: the ciphertext or its associated data was modified',
    });
  });

  test('unknown key is rejected', async () => {
    const unknown = open('missing-key');
    try {
      await assert.rejects(unknown.encrypt(Buffer.from('value')), {
        message: `gcpckms seal: encrypt failed: the crypto key was not found: CryptoKey projects/${kms.project}/locations/global/keyRings/${kms.keyRing}/cryptoKeys/missing-key not found.`,
      });
    } finally {
      await unknown.close();
    }
  });

  test('blob of another key is rejected', async () => {
    kms.createKey('other-key');
    const other = open('other-key');
    try {
      const blob = await other.encrypt(Buffer.from('value'));
      await assert.rejects(seal.decrypt(blob), /^Error: gcpckms seal: decrypt failed: Cloud KMS rejected the request as invalid/);
    } finally {
      await other.close();
    }
  });
});
