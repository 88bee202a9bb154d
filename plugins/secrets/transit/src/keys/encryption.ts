/**
 * Encryption and decryption with a key policy, laid out byte for byte as
 * Vault's keysutil does it, so ciphertexts move between Vault and Coffer:
 *
 * - AES-GCM and ChaCha20-Poly1305: `vault:v<N>:` then base64 of the 12-byte
 *   nonce, the ciphertext and the 16-byte tag. The nonce is random, or for
 *   a convergent key the first 12 bytes of HMAC-SHA256 over the plaintext,
 *   keyed with 32 more bytes derived after the encryption key (Vault's
 *   convergent version 3).
 * - RSA: `vault:v<N>:` then base64 of RSA-OAEP with SHA-256 and no label.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHmac,
  privateDecrypt,
  publicEncrypt,
  type CipherChaCha20Poly1305,
  type CipherGCM,
  type CipherGCMTypes,
  type DecipherChaCha20Poly1305,
  type DecipherGCM,
} from 'node:crypto';
import { badRequest, randomNonce } from '@coffer/sdk';
import { decodeStandardBase64 } from '../base64.js';
import { AUTHENTICATION_FAILED_MESSAGE, invalidField, TOO_OLD_MESSAGE, unsupportedByKeyType } from '../errors.js';
import { versionKeyMaterial } from './derivation.js';
import { privateKeyObject, publicKeyObject } from './key-objects.js';
import { loadedVersion, type KeyPolicy, type KeyVersion } from './key-policy.js';
import { isRsa, isSymmetric, rsaModulusBits, supportsAssociatedData, supportsEncryption, symmetricKeyBytes, type SymmetricKeyType } from './key-types.js';
import { formatVersioned, parseVersioned } from './versioned-value.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const CONVERGENT_HMAC_KEY_BYTES = 32;
/** RSA-OAEP with SHA-256 spends 2 * 32 + 2 bytes of the modulus on padding (RFC 8017, section 7.1.1). */
const OAEP_SHA256_OVERHEAD = 66;

export interface EncryptInput {
  /** The version to encrypt with, or 0 for the latest. */
  version: number;
  plaintext: Buffer;
  context?: Buffer;
  associatedData?: Buffer;
}

export interface DecryptInput {
  ciphertext: string;
  context?: Buffer;
  associatedData?: Buffer;
}

/**
 * Encrypts with the chosen version of the key.
 * @throws CofferError (400) for a version the policy does not allow, a
 *   missing context, or input the key type cannot take.
 */
export function encrypt(policy: KeyPolicy, input: EncryptInput): { ciphertext: string; version: number } {
  if (!supportsEncryption(policy.type)) throw unsupportedByKeyType('encryption', policy.type);
  checkAssociatedData(policy, input.associatedData);

  const version = encryptionVersion(policy, input.version);
  const entry = loadedVersion(policy, version);
  if (entry === undefined) throw invalidField('key_version', `version ${version} is below min_decryption_version ${policy.minDecryptionVersion}`);

  const data = isSymmetric(policy.type)
    ? sealSymmetric(policy, policy.type, entry, input)
    : sealRsa(policy, entry, input.plaintext);
  return { ciphertext: formatVersioned(version, data.toString('base64')), version };
}

/**
 * Decrypts a ciphertext made by {@link encrypt}.
 * @throws CofferError (400) with Vault's messages for a malformed, too new
 *   or too old ciphertext, and for a failed authentication.
 */
export function decrypt(policy: KeyPolicy, input: DecryptInput): { plaintext: Buffer; version: number } {
  if (!supportsEncryption(policy.type)) throw unsupportedByKeyType('decryption', policy.type);
  checkAssociatedData(policy, input.associatedData);

  const parsed = parseVersioned(input.ciphertext, 'ciphertext');
  // Vault's first keys were numbered from 0; version 0 is version 1.
  const version = parsed.version === 0 ? 1 : parsed.version;
  if (version > policy.latestVersion) throw badRequest('invalid ciphertext: version is too new');
  if (version < policy.minDecryptionVersion) throw badRequest(TOO_OLD_MESSAGE);

  const entry = loadedVersion(policy, version);
  if (entry === undefined) throw badRequest(`invalid ciphertext: key version ${version} no longer exists`);
  const decoded = decodeStandardBase64(parsed.data);
  if ('problem' in decoded) throw badRequest('invalid ciphertext: could not decode base64');

  const plaintext = isSymmetric(policy.type)
    ? openSymmetric(policy, policy.type, entry, decoded.bytes, input)
    : openRsa(policy, entry, decoded.bytes);
  return { plaintext, version };
}

/** Resolves the requested encryption version with Vault's checks and messages. */
function encryptionVersion(policy: KeyPolicy, requested: number): number {
  if (requested === 0) return policy.latestVersion;
  if (requested < 0) throw invalidField('key_version', `${requested} is negative: use 0 for the latest version or a version number`);
  if (requested > policy.latestVersion) {
    throw invalidField('key_version', `${requested} is higher than the latest key version ${policy.latestVersion}`);
  }
  if (requested < policy.minEncryptionVersion) {
    throw invalidField('key_version', `${requested} is below min_encryption_version ${policy.minEncryptionVersion}`);
  }
  return requested;
}

function checkAssociatedData(policy: KeyPolicy, associatedData: Buffer | undefined): void {
  if (associatedData !== undefined && associatedData.length > 0 && !supportsAssociatedData(policy.type)) {
    throw invalidField('associated_data', `key type ${policy.type} is not an AEAD cipher and takes no associated data`);
  }
}

function sealSymmetric(policy: KeyPolicy, type: SymmetricKeyType, entry: KeyVersion, input: EncryptInput): Buffer {
  const keyBytes = symmetricKeyBytes(type);
  const convergent = policy.convergentEncryption && entry.convergentVersion !== undefined;
  const material = versionKeyMaterial(policy, entry, input.context, keyBytes + (convergent ? CONVERGENT_HMAC_KEY_BYTES : 0));

  const nonce = convergent
    ? createHmac('sha256', material.subarray(keyBytes)).update(input.plaintext).digest().subarray(0, NONCE_BYTES)
    : randomNonce(NONCE_BYTES);
  const cipher = createAeadCipher(type, material.subarray(0, keyBytes), nonce);
  if (input.associatedData !== undefined && input.associatedData.length > 0) {
    cipher.setAAD(input.associatedData, { plaintextLength: input.plaintext.length });
  }

  const body = cipher.update(input.plaintext);
  const last = cipher.final();
  return Buffer.concat([nonce, body, last, cipher.getAuthTag()]);
}

function openSymmetric(policy: KeyPolicy, type: SymmetricKeyType, entry: KeyVersion, data: Buffer, input: DecryptInput): Buffer {
  if (data.length < NONCE_BYTES) throw badRequest('invalid ciphertext length');
  // Vault's Go AEAD reports a ciphertext shorter than its tag as failed authentication.
  if (data.length < NONCE_BYTES + TAG_BYTES) throw badRequest(AUTHENTICATION_FAILED_MESSAGE);

  const keyBytes = symmetricKeyBytes(type);
  const material = versionKeyMaterial(policy, entry, input.context, keyBytes);
  const decipher = createAeadDecipher(type, material.subarray(0, keyBytes), data.subarray(0, NONCE_BYTES));
  const sealed = data.subarray(NONCE_BYTES, data.length - TAG_BYTES);
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  if (input.associatedData !== undefined && input.associatedData.length > 0) {
    decipher.setAAD(input.associatedData, { plaintextLength: sealed.length });
  }

  const body = decipher.update(sealed);
  let last: Buffer;
  try {
    last = decipher.final();
  } catch {
    throw badRequest(AUTHENTICATION_FAILED_MESSAGE);
  }
  // GCM and ChaCha20-Poly1305 are stream modes, so final() returns no bytes
  // and `body` is the whole plaintext, which then needs no copy.
  return last.length === 0 ? body : Buffer.concat([body, last]);
}

function sealRsa(policy: KeyPolicy, entry: KeyVersion, plaintext: Buffer): Buffer {
  if (!isRsa(policy.type)) throw unsupportedByKeyType('encryption', policy.type);
  const limit = rsaModulusBits(policy.type) / 8 - OAEP_SHA256_OVERHEAD;
  if (plaintext.length > limit) {
    throw invalidField('plaintext', `${plaintext.length} bytes is too long for RSA-OAEP with ${policy.type}: the limit is ${limit} bytes`);
  }
  return publicEncrypt(
    { key: publicKeyObject(policy.type, entry), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    plaintext,
  );
}

function openRsa(policy: KeyPolicy, entry: KeyVersion, data: Buffer): Buffer {
  try {
    return privateDecrypt(
      { key: privateKeyObject(policy.type, entry), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      data,
    );
  } catch {
    throw badRequest('failed to RSA decrypt the ciphertext: decryption error');
  }
}

function createAeadCipher(type: SymmetricKeyType, key: Buffer, nonce: Buffer): CipherGCM | CipherChaCha20Poly1305 {
  if (type === 'chacha20-poly1305') return createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
  return createCipheriv(aesName(type), key, nonce, { authTagLength: TAG_BYTES });
}

function createAeadDecipher(type: SymmetricKeyType, key: Buffer, nonce: Buffer): DecipherGCM | DecipherChaCha20Poly1305 {
  if (type === 'chacha20-poly1305') return createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
  return createDecipheriv(aesName(type), key, nonce, { authTagLength: TAG_BYTES });
}

function aesName(type: 'aes128-gcm96' | 'aes256-gcm96'): CipherGCMTypes {
  return type === 'aes128-gcm96' ? 'aes-128-gcm' : 'aes-256-gcm';
}
