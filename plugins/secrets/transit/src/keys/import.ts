/**
 * Key material for `keys/:name/import` and `import_version`, in the format of
 * Vault's BYOK import. The request's `ciphertext` is two parts:
 *
 *   1. a random AES-256 key, encrypted with the mount's RSA-4096 wrapping key
 *      by RSA-OAEP (MGF1 with the same hash, empty label): 512 bytes;
 *   2. the key material, wrapped with that AES key by AES key wrap with
 *      padding (KWP, RFC 5649).
 *
 * The material is the raw key for symmetric and `hmac` keys, and a PKCS#8
 * DER private key for Ed25519, ECDSA and RSA keys, as Vault expects. Those
 * asymmetric keys may also be imported as a PEM public key alone, which
 * verifies signatures and, for RSA, encrypts.
 */
import { createDecipheriv, createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { invalidField } from '../errors.js';
import { ed25519PublicKeyBytes, ed25519Seed, HMAC_KEY_BYTES, publicKeyPem } from './key-material.js';
import type { KeyVersion } from './key-policy.js';
import {
  ecdsaCurve,
  HMAC_MAX_KEY_BYTES,
  HMAC_MIN_KEY_BYTES,
  isEcdsa,
  isRsa,
  isSymmetric,
  rsaModulusBits,
  symmetricKeyBytes,
  type KeyType,
} from './key-types.js';
import { ecPrivateKeyProblem, rsaPrivateKeyProblem, rsaPublicKeyProblem } from './key-validation.js';
import { leadingSequenceEnd, relabelRsaPssKey } from './pkcs8.js';
import type { WrappingKey } from './wrapping-key.js';

/** Length of the RSA-OAEP ciphertext of the ephemeral key: the size of a 4096-bit modulus. */
export const ENCRYPTED_KEY_BYTES = 512;

const EPHEMERAL_KEY_BYTES = 32;

/** Shortest KWP output: one 8-byte block of key material and the 8-byte integrity block. */
const MIN_WRAPPED_BYTES = 16;

/** The alternative initial value of KWP (RFC 5649, section 3). */
const KWP_IV = Buffer.from('a65959a6', 'hex');

/** The OAEP hashes Vault accepts in `hash_function`. */
export const IMPORT_HASH_FUNCTIONS = ['SHA1', 'SHA224', 'SHA256', 'SHA384', 'SHA512'] as const;

export type ImportHashFunction = (typeof IMPORT_HASH_FUNCTIONS)[number];

/**
 * Parses `hash_function`, ignoring case as Vault does.
 * @throws CofferError (400) naming the field and the accepted values.
 */
export function parseHashFunction(value: string): ImportHashFunction {
  const upper = value.toUpperCase();
  const known = IMPORT_HASH_FUNCTIONS.find((name) => name === upper);
  if (known === undefined) {
    throw invalidField('hash_function', `unknown hash function "${value}": use one of ${IMPORT_HASH_FUNCTIONS.join(', ')}`);
  }
  return known;
}

/**
 * Decrypts the ephemeral AES key with the wrapping key and unwraps the key
 * material with it. The ephemeral key is zeroed before this returns.
 *
 * @returns the key material, which the caller owns.
 * @throws CofferError (400) on field "ciphertext" naming the step that failed.
 */
export async function unwrapKeyMaterial(wrappingKey: WrappingKey, ciphertext: Buffer, hashFunction: ImportHashFunction): Promise<Buffer> {
  if (ciphertext.length < ENCRYPTED_KEY_BYTES + MIN_WRAPPED_BYTES) {
    throw invalidField(
      'ciphertext',
      `${ciphertext.length} bytes is too short: expected a ${ENCRYPTED_KEY_BYTES}-byte RSA-OAEP encrypted AES key followed by at least ${MIN_WRAPPED_BYTES} bytes of wrapped key`,
    );
  }
  const wrapped = ciphertext.subarray(ENCRYPTED_KEY_BYTES);
  if (wrapped.length % 8 !== 0) {
    throw invalidField('ciphertext', `the wrapped key is ${wrapped.length} bytes, but AES key wrap output is a multiple of 8 bytes`);
  }

  let ephemeralKey: Buffer;
  try {
    ephemeralKey = await wrappingKey.decryptOaep(ciphertext.subarray(0, ENCRYPTED_KEY_BYTES), hashFunction);
  } catch {
    throw invalidField(
      'ciphertext',
      `the ephemeral AES key cannot be decrypted with this mount's wrapping key and RSA-OAEP with ${hashFunction}: check hash_function and that the key was wrapped for this mount`,
    );
  }

  try {
    if (ephemeralKey.length !== EPHEMERAL_KEY_BYTES) {
      throw invalidField('ciphertext', `the ephemeral AES key is ${ephemeralKey.length} bytes, expected ${EPHEMERAL_KEY_BYTES} (AES-256)`);
    }
    return unwrapKwp(ephemeralKey, wrapped);
  } finally {
    ephemeralKey.fill(0);
  }
}

function unwrapKwp(key: Buffer, wrapped: Buffer): Buffer {
  const parts: Buffer[] = [];
  try {
    const decipher = createDecipheriv('id-aes256-wrap-pad', key, KWP_IV);
    parts.push(decipher.update(wrapped));
    parts.push(decipher.final());
    return Buffer.concat(parts);
  } catch {
    throw invalidField('ciphertext', 'the wrapped key failed the integrity check of AES key wrap with padding (RFC 5649)');
  } finally {
    for (const part of parts) part.fill(0);
  }
}

/**
 * Builds a key version of `type` from unwrapped key material. Symmetric and
 * `hmac` versions keep `material` as their key. For asymmetric types it is
 * parsed, re-encoded and zeroed. It is zeroed on error as well.
 *
 * @throws CofferError (400) on field "ciphertext" when the material does not fit the type.
 */
export function importedKeyVersion(type: KeyType, material: Buffer, createdAt: number): KeyVersion {
  try {
    return buildVersion(type, material, createdAt);
  } catch (err) {
    material.fill(0);
    throw err;
  }
}

function buildVersion(type: KeyType, material: Buffer, createdAt: number): KeyVersion {
  if (isSymmetric(type)) {
    const expected = symmetricKeyBytes(type);
    if (material.length !== expected) throw wrongSize(material, type, String(expected));
    return { createdAt, key: material, hmacKey: randomBytes(HMAC_KEY_BYTES) };
  }
  if (type === 'hmac') {
    if (material.length < HMAC_MIN_KEY_BYTES || material.length > HMAC_MAX_KEY_BYTES) {
      throw wrongSize(material, type, `${HMAC_MIN_KEY_BYTES} to ${HMAC_MAX_KEY_BYTES}`);
    }
    return { createdAt, key: material, hmacKey: material };
  }

  const parsed = asPlainRsa(parsePrivateKey(material), material, type);
  const found = describeKeyObject(parsed);
  const expected = expectedKeyDescription(type);
  if (found !== expected) throw invalidField('ciphertext', `the unwrapped key is ${found}, but key type ${type} needs ${expected}`);
  const problem = isRsa(type) ? rsaPrivateKeyProblem(parsed) : isEcdsa(type) ? ecPrivateKeyProblem(parsed) : null;
  if (problem !== null) throw invalidField('ciphertext', `the unwrapped ${isRsa(type) ? 'RSA' : 'EC'} key ${problem}`);
  material.fill(0);
  const privateKey = withUncompressedPoint(parsed);

  if (type === 'ed25519') {
    const publicKey = ed25519PublicKeyBytes(privateKey);
    return { createdAt, key: Buffer.concat([ed25519Seed(privateKey), publicKey]), publicKey: publicKey.toString('base64'), hmacKey: randomBytes(HMAC_KEY_BYTES) };
  }
  return {
    createdAt,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }),
    publicKey: publicKeyPem(privateKey),
    hmacKey: randomBytes(HMAC_KEY_BYTES),
  };
}

/** One PEM "PUBLIC KEY" block and nothing else, so a private key PEM is never taken for a public key. */
const PUBLIC_KEY_PEM = /^\s*-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\s*$/;

/** Returns whether keys of the type may be imported as a public key alone. */
export function supportsPublicKeyImport(type: KeyType): boolean {
  return type === 'ed25519' || isEcdsa(type) || isRsa(type);
}

/**
 * Builds a version of `type` from a PEM public key alone. It verifies
 * signatures, and for RSA encrypts, until import_version adds its private key.
 *
 * @throws CofferError (400) on field "public_key" when the text is not one
 *   SubjectPublicKeyInfo PEM block or the key does not fit the type.
 */
export function importedPublicKeyVersion(type: KeyType, pem: string, createdAt: number): KeyVersion {
  if (!PUBLIC_KEY_PEM.test(pem)) throw invalidField('public_key', 'expected one PEM block of type "PUBLIC KEY" (SubjectPublicKeyInfo)');
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: pem, format: 'pem', type: 'spki' });
  } catch {
    throw invalidField('public_key', 'the PEM block is not a valid SubjectPublicKeyInfo public key');
  }
  const found = describeKeyObject(publicKey);
  const expected = expectedKeyDescription(type);
  if (found !== expected) throw invalidField('public_key', `the public key is ${found}, but key type ${type} needs ${expected}`);
  const problem = isRsa(type) ? rsaPublicKeyProblem(publicKey) : null;
  if (problem !== null) throw invalidField('public_key', `the RSA public key ${problem}`);

  const text = type === 'ed25519' ? ed25519PublicKeyBytes(publicKey).toString('base64') : publicKeyPem(withUncompressedPoint(publicKey));
  return { createdAt, publicKey: text, hmacKey: randomBytes(HMAC_KEY_BYTES) };
}

/**
 * Returns a version imported with its public key only, completed with the
 * private key of `imported`, or null when the two keys differ. The
 * completed version keeps its creation time and HMAC key.
 */
export function completePublicKeyVersion(publicOnly: KeyVersion, imported: KeyVersion): KeyVersion | null {
  if (imported.publicKey !== publicOnly.publicKey) return null;
  if (imported.key !== undefined) return { ...publicOnly, key: imported.key };
  if (imported.privateKey !== undefined) return { ...publicOnly, privateKey: imported.privateKey };
  return null;
}

/**
 * Returns an EC key re-encoded with its public point uncompressed, and any
 * other key as it is. OpenSSL keeps the point form of the DER it parsed,
 * so without this a key imported with a compressed point was stored and
 * shown compressed, unlike Vault's, and never matched the same key imported
 * in the other form by import_version.
 */
function withUncompressedPoint(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ec') return key;
  const jwk = key.export({ format: 'jwk' });
  return key.type === 'private' ? createPrivateKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: jwk, format: 'jwk' });
}

function wrongSize(material: Buffer, type: KeyType, expected: string): Error {
  return invalidField('ciphertext', `the unwrapped key is ${material.length} bytes, but key type ${type} needs ${expected}`);
}

/** Returns an RSA-PSS key for an RSA type relabelled as a plain RSA key (see pkcs8.ts), and any other key as it is. */
function asPlainRsa(key: KeyObject, material: Buffer, type: KeyType): KeyObject {
  if (key.asymmetricKeyType !== 'rsa-pss' || !isRsa(type)) return key;
  const relabelled = relabelRsaPssKey(material);
  if (relabelled === null) return key;
  try {
    return parsePrivateKey(relabelled);
  } finally {
    relabelled.fill(0);
  }
}

function parsePrivateKey(material: Buffer): KeyObject {
  const end = leadingSequenceEnd(material);
  if (end !== null && end < material.length) {
    throw invalidField('ciphertext', `the unwrapped key has ${material.length - end} bytes after its PKCS#8 DER private key; wrap the DER alone`);
  }
  try {
    return createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
  } catch {
    throw invalidField('ciphertext', 'the unwrapped key is not a PKCS#8 DER private key');
  }
}

/** Describes a key by kind and size, such as "an ec key on curve P-384" or "a 2048-bit rsa key". */
function describeKeyObject(key: KeyObject): string {
  const kind = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (kind === 'ec') return `an ec key on curve ${standardCurveName(details.namedCurve ?? 'unknown')}`;
  if (kind === 'rsa' || kind === 'rsa-pss') return `a ${details.modulusLength ?? 0}-bit ${kind} key`;
  return `${/^[aeiox]/.test(kind) ? 'an' : 'a'} ${kind} key`;
}

function expectedKeyDescription(type: KeyType): string {
  if (isEcdsa(type)) return `an ec key on curve ${ecdsaCurve(type)}`;
  if (isRsa(type)) return `a ${rsaModulusBits(type)}-bit rsa key`;
  return 'an ed25519 key';
}

/** Node.js reports the NIST curves by their OpenSSL names, and errors use the names of FIPS 186. */
function standardCurveName(nodeName: string): string {
  if (nodeName === 'prime256v1') return 'P-256';
  if (nodeName === 'secp384r1') return 'P-384';
  if (nodeName === 'secp521r1') return 'P-521';
  return nodeName;
}
