/**
 * The key types the engine creates, with the operations each supports. The
 * names and capabilities are Vault's, from `sdk/helper/keysutil/policy.go`.
 */

export const KEY_TYPES = [
  'aes128-gcm96',
  'aes256-gcm96',
  'chacha20-poly1305',
  'ed25519',
  'ecdsa-p256',
  'ecdsa-p384',
  'ecdsa-p521',
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
  'hmac',
] as const;

export type KeyType = (typeof KEY_TYPES)[number];

export type SymmetricKeyType = 'aes128-gcm96' | 'aes256-gcm96' | 'chacha20-poly1305';
export type EcdsaKeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521';
export type RsaKeyType = 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

/** Vault's default for new keys and for keys created by an encrypt request. */
export const DEFAULT_KEY_TYPE: KeyType = 'aes256-gcm96';

/** Bounds of an `hmac` key in bytes, as Vault's `HmacMinKeySize` and `HmacMaxKeySize`. */
export const HMAC_MIN_KEY_BYTES = 32;
export const HMAC_MAX_KEY_BYTES = 512;

/**
 * Size of an `hmac` key created without `key_size`. Vault rejects such a
 * key at creation; Coffer gives it 32 bytes, the size of the HMAC key that
 * every other key type carries.
 */
export const HMAC_DEFAULT_KEY_BYTES = 32;

export function isKeyType(value: string): value is KeyType {
  return (KEY_TYPES as readonly string[]).includes(value);
}

export function isSymmetric(type: KeyType): type is SymmetricKeyType {
  return type === 'aes128-gcm96' || type === 'aes256-gcm96' || type === 'chacha20-poly1305';
}

export function isEcdsa(type: KeyType): type is EcdsaKeyType {
  return type === 'ecdsa-p256' || type === 'ecdsa-p384' || type === 'ecdsa-p521';
}

export function isRsa(type: KeyType): type is RsaKeyType {
  return type === 'rsa-2048' || type === 'rsa-3072' || type === 'rsa-4096';
}

/** Returns whether encrypt, decrypt, rewrap and datakey accept the type. */
export function supportsEncryption(type: KeyType): boolean {
  return isSymmetric(type) || isRsa(type);
}

/** Returns whether sign and verify accept the type. */
export function supportsSigning(type: KeyType): boolean {
  return type === 'ed25519' || isEcdsa(type) || isRsa(type);
}

/** Returns whether the type may be created with `derived`. */
export function supportsDerivation(type: KeyType): boolean {
  return isSymmetric(type) || type === 'ed25519';
}

/** Returns whether the type is an AEAD cipher that takes `associated_data`. */
export function supportsAssociatedData(type: KeyType): boolean {
  return isSymmetric(type);
}

/** Returns the key length in bytes of a symmetric type. */
export function symmetricKeyBytes(type: SymmetricKeyType): number {
  return type === 'aes128-gcm96' ? 16 : 32;
}

export function rsaModulusBits(type: RsaKeyType): number {
  return Number(type.slice('rsa-'.length));
}

/** Returns the curve name of an ECDSA type, as Node.js names it in key generation. */
export function ecdsaCurve(type: EcdsaKeyType): 'P-256' | 'P-384' | 'P-521' {
  if (type === 'ecdsa-p256') return 'P-256';
  return type === 'ecdsa-p384' ? 'P-384' : 'P-521';
}
