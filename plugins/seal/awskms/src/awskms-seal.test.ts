import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Logger } from '@coffer/sdk';
import { AwsKmsSeal } from './awskms-seal.js';
import { parseAwsKmsSettings } from './settings.js';
import { startKmsDouble, type KmsDouble } from './testing/index.js';

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

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'test-secret' };

describe('awskms seal against the KMS double', () => {
  let kms: KmsDouble;
  let seal: AwsKmsSeal;

  const open = (keyId: string): AwsKmsSeal =>
    new AwsKmsSeal(parseAwsKmsSettings({ kms_key_id: keyId, endpoint: kms.endpoint, region: kms.region }, CREDENTIALS), silentLogger);

  before(async () => {
    kms = await startKmsDouble();
    seal = open(kms.keyId);
  });
  after(async () => {
    await seal.close();
    await kms.close();
  });

  test('key id is the ARN', async () => {
    assert.equal(await seal.keyId(), kms.keyArn);
    assert.deepEqual(kms.calls.slice(-1), ['DescribeKey']);
  });

  test('encrypt then decrypt', async () => {
    const plaintext = Buffer.from('root key material');
    const blob = await seal.encrypt(plaintext, Buffer.from('core/wrapped-root-key'));
    assert.equal(blob.keyInfo.keyId, kms.keyArn);
    assert.equal(blob.keyInfo.mechanism, 1);
    assert.ok(blob.keyInfo.wrappedKey !== undefined);
    assert.ok(blob.keyInfo.wrappedKey.length > 32);
    assert.ok(!blob.ciphertext.includes(plaintext));
    assert.deepEqual(await seal.decrypt(blob, Buffer.from('core/wrapped-root-key')), plaintext);
  });

  test('wrong associated data is rejected', async () => {
    const blob = await seal.encrypt(Buffer.from('value'), Buffer.from('a'));
    await assert.rejects(seal.decrypt(blob, Buffer.from('b')), {
      message: 'awskms seal: decrypt failed: the ciphertext or its associated data was modified',
    });
  });

  test('tampered data key is rejected', async () => {
    const blob = await seal.encrypt(Buffer.from('value'));
    const wrappedKey = Buffer.from(blob.keyInfo.wrappedKey!);
    wrappedKey[wrappedKey.length - 1] ^= 1;
    await assert.rejects(seal.decrypt({ ...blob, keyInfo: { ...blob.keyInfo, wrappedKey } }), {
      message: 'awskms seal: decrypt failed: KMS rejected the ciphertext as invalid or made by another key (InvalidCiphertextException)',
    });
  });

  test('unknown key is rejected', async () => {
    const unknown = open('00000000-0000-0000-0000-000000000000');
    try {
      await assert.rejects(unknown.encrypt(Buffer.from('value')), {
        message: 'awskms seal: encrypt failed: the KMS key was not found (NotFoundException)',
      });
    } finally {
      await unknown.close();
    }
  });

  test('blob of another key is rejected', async () => {
    const otherArn = kms.createKey();
    const other = open(otherArn);
    try {
      const blob = await other.encrypt(Buffer.from('value'));
      const misattributed = { ...blob, keyInfo: { ...blob.keyInfo, keyId: kms.keyArn } };
      await assert.rejects(seal.decrypt(misattributed), /^Error: awskms seal: decrypt failed: IncorrectKeyException: /);
    } finally {
      await other.close();
    }
  });

  test('unsigned request is rejected by the double', async () => {
    const response = await fetch(kms.endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'TrentService.Encrypt' },
      body: JSON.stringify({ KeyId: kms.keyId, Plaintext: 'AA==' }),
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
  });
});
