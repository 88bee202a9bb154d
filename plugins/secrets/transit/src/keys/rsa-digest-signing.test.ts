import assert from 'node:assert/strict';
import { constants, createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { signDigestPkcs1v15, signDigestPss, verifyDigestPkcs1v15, verifyDigestPss, PSS_SALT_AUTO, PSS_SALT_EQUALS_HASH } from './rsa-digest-signing.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const message = Buffer.from('digest signing');
const digest = createHash('sha384').update(message).digest();

describe('RSA signatures over digests', () => {
  test('PKCS#1 v1.5 equals Node signing the message', () => {
    const ours = signDigestPkcs1v15(privateKey, 'sha2-384', digest);

    // PKCS#1 v1.5 signatures are deterministic, so the bytes must match.
    assert.deepEqual(ours, sign('sha384', message, { key: privateKey, padding: constants.RSA_PKCS1_PADDING }));
    assert.ok(verifyDigestPkcs1v15(publicKey, 'sha2-384', digest, ours));
    assert.ok(!verifyDigestPkcs1v15(publicKey, 'sha2-256', createHash('sha256').update(message).digest(), ours));
  });

  test('PSS verifies with Node for each salt length', () => {
    for (const [salt, nodeSalt] of [
      [PSS_SALT_AUTO, constants.RSA_PSS_SALTLEN_AUTO],
      [PSS_SALT_EQUALS_HASH, constants.RSA_PSS_SALTLEN_DIGEST],
      [20, 20],
    ]) {
      const signature = signDigestPss(privateKey, 2048, 'sha2-384', digest, salt);

      assert.ok(verify('sha384', message, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: nodeSalt }, signature), `salt ${salt}`);
      assert.ok(verifyDigestPss(publicKey, 2048, 'sha2-384', digest, signature, salt), `salt ${salt}`);
    }
  });

  test('PSS verifies signatures made by Node', () => {
    const signature = sign('sha384', message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });

    assert.ok(verifyDigestPss(publicKey, 2048, 'sha2-384', digest, signature, PSS_SALT_AUTO));
    assert.ok(verifyDigestPss(publicKey, 2048, 'sha2-384', digest, signature, 32));
    assert.ok(!verifyDigestPss(publicKey, 2048, 'sha2-384', digest, signature, 31));
    assert.ok(!verifyDigestPss(publicKey, 2048, 'sha2-384', createHash('sha384').update('other').digest(), signature, PSS_SALT_AUTO));
    assert.ok(!verifyDigestPss(publicKey, 2048, 'sha2-384', digest, Buffer.alloc(256, 1), PSS_SALT_AUTO));
  });
});
