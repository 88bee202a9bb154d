/**
 * Key derivation for keys created with `derived`: HKDF-SHA256 (RFC 5869)
 * with the version's key as input keying material, no salt, and the
 * request's context as info, the way Vault's keysutil derives with
 * `Kdf_hkdf_sha256`. The same context always yields the same key, so a
 * ciphertext decrypts only with the context it was encrypted under.
 */
import { createHmac } from 'node:crypto';
import { missingField } from '../errors.js';
import type { KeyPolicy, KeyVersion } from './key-policy.js';

const SHA256_BYTES = 32;
const NO_SALT = Buffer.alloc(SHA256_BYTES);

/**
 * Computes `length` bytes of HKDF-SHA256. Node's `crypto.hkdfSync` limits
 * info to 1024 bytes, and Vault sets no limit on a context, so the two
 * steps are spelled out here.
 */
export function hkdfSha256(inputKey: Buffer, info: Buffer, length: number): Buffer {
  if (length > 255 * SHA256_BYTES) throw new RangeError(`HKDF-SHA256 cannot produce ${length} bytes`);

  // Extract: an absent salt is a string of HashLen zeros (RFC 5869, section 2.2).
  const pseudoRandomKey = createHmac('sha256', NO_SALT).update(inputKey).digest();

  // Expand: T(i) = HMAC(PRK, T(i-1) | info | i).
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let counter = 1; blocks.length * SHA256_BYTES < length; counter++) {
    previous = createHmac('sha256', pseudoRandomKey).update(previous).update(info).update(Buffer.of(counter)).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/**
 * Returns `length` bytes of key material for a version: the derived key
 * when the policy is derived, else the version's own key.
 *
 * @throws CofferError (400) when a derived key gets no context.
 */
export function versionKeyMaterial(policy: KeyPolicy, version: KeyVersion, context: Buffer | undefined, length: number): Buffer {
  const key = version.key;
  if (key === undefined) throw new Error(`a ${policy.type} key version contains no key bytes`);
  if (!policy.derived) return key;

  if (context === undefined || context.length === 0) {
    throw missingField('context', `key "${policy.name}" is derived, so every request must carry a base64-encoded context`);
  }
  return hkdfSha256(key, context, length);
}
