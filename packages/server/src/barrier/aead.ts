/**
 * AES-256-GCM sealing with the storage path as associated data, shared by
 * the barrier, the keyring and the wrapped root key.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomNonce } from '@coffer/sdk';

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts `plaintext`; the output is nonce, ciphertext and tag. */
export function seal(key: Buffer, plaintext: Buffer, associatedData: string): Buffer {
  const nonce = randomNonce(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([nonce, body, final, cipher.getAuthTag()]);
}

/**
 * Decrypts the output of `seal`. Throws when the key, the associated data
 * or any byte of the input is wrong.
 */
export function open(key: Buffer, sealed: Buffer, associatedData: string): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new Error('ciphertext is too short');
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]);
}
