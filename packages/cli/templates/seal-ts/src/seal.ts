/**
 * The seal: AES-256-GCM with a random 12-byte IV per blob, the
 * authentication tag appended to the ciphertext, and the associated data
 * Coffer passes bound to the blob.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { BlobInfo, Seal } from '@coffer/sdk';
import type { KeySource } from './key-source.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class AesGcmSeal implements Seal {
  readonly type = '__NAME__';

  constructor(private readonly keys: KeySource) {}

  async keyId(): Promise<string> {
    return (await this.keys.currentKey()).id;
  }

  async encrypt(plaintext: Buffer, aad?: Buffer): Promise<BlobInfo> {
    const key = await this.keys.currentKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.material, iv);
    if (aad !== undefined) cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    key.material.fill(0);
    return { ciphertext, iv, keyInfo: { mechanism: 0, hmacMechanism: 0, keyId: key.id, hmacKeyId: '' } };
  }

  async decrypt(blob: BlobInfo, aad?: Buffer): Promise<Buffer> {
    const key = await this.keys.currentKey();
    try {
      if (blob.keyInfo.keyId !== key.id) throw new Error(`the blob was encrypted with key "${blob.keyInfo.keyId}", but the current key is "${key.id}"`);
      if (blob.iv.length !== IV_BYTES || blob.ciphertext.length < TAG_BYTES) throw new Error('invalid blob: wrong IV or ciphertext length');
      const decipher = createDecipheriv('aes-256-gcm', key.material, blob.iv);
      if (aad !== undefined) decipher.setAAD(aad);
      decipher.setAuthTag(blob.ciphertext.subarray(blob.ciphertext.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(blob.ciphertext.subarray(0, blob.ciphertext.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new Error('decryption failed: the blob, the key or the associated data is wrong');
      }
    } finally {
      key.material.fill(0);
    }
  }

  async close(): Promise<void> {}
}
