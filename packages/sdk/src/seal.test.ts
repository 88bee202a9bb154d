import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBlobInfo, encodeBlobInfo, envelopeDecrypt, envelopeEncrypt, type BlobInfo } from './seal.js';

test('envelope round trip', () => {
  const aad = Buffer.from('core/wrapped-root-key');
  const envelope = envelopeEncrypt(Buffer.from('root key'), aad);
  assert.equal(envelope.key.length, 32);
  assert.equal(envelope.iv.length, 12);
  assert.equal(envelopeDecrypt(envelope.key, envelope.iv, envelope.ciphertext, aad).toString(), 'root key');
});

test('envelope rejects other aad', () => {
  const envelope = envelopeEncrypt(Buffer.from('root key'), Buffer.from('a'));
  assert.throws(() => envelopeDecrypt(envelope.key, envelope.iv, envelope.ciphertext, Buffer.from('b')), {
    message: 'Unsupported state or unable to authenticate data',
  });
});

test('envelope rejects short ciphertext', () => {
  assert.throws(() => envelopeDecrypt(Buffer.alloc(32), Buffer.alloc(12), Buffer.alloc(4)), {
    message: 'invalid envelope ciphertext: shorter than the GCM tag',
  });
});

test('blob info JSON round trip', () => {
  const blob: BlobInfo = {
    ciphertext: Buffer.from([1, 2, 3]),
    iv: Buffer.from([4, 5]),
    hmac: Buffer.from([6]),
    keyInfo: { mechanism: 0x1087, hmacMechanism: 0x0251, keyId: 'k1', hmacKeyId: 'h1', wrappedKey: Buffer.from([7]) },
  };
  const stored = JSON.parse(JSON.stringify(encodeBlobInfo(blob)));
  assert.deepEqual(stored, {
    ciphertext: 'AQID',
    iv: 'BAU=',
    hmac: 'Bg==',
    key_info: { mechanism: 4231, hmac_mechanism: 593, key_id: 'k1', hmac_key_id: 'h1', wrapped_key: 'Bw==' },
  });
  assert.deepEqual(decodeBlobInfo(stored), blob);
});

test('blob info rejects missing fields', () => {
  assert.throws(() => decodeBlobInfo({ iv: '' }), { message: 'invalid sealed blob: expected "ciphertext", "iv" and "key_info"' });
  assert.throws(() => decodeBlobInfo(null), { message: 'invalid sealed blob: expected "ciphertext", "iv" and "key_info"' });
  assert.throws(() => decodeBlobInfo({ ciphertext: '', iv: '', key_info: { mechanism: 1 } }), {
    message: 'invalid sealed blob: "key_info" needs "key_id" and "mechanism"',
  });
});
