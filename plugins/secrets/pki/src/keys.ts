/**
 * Key pairs of the engine: generation off the event loop, the signature
 * algorithm each key type signs with, and the private key encodings Vault
 * returns.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { invalidField } from './errors.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** The key types this engine generates and signs with. */
export const KEY_TYPES = ['rsa', 'ec', 'ed25519'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** RSA modulus sizes Vault accepts; below 2048 bits Vault rejects the key as unsafe. */
export const RSA_KEY_BITS = [2048, 3072, 4096, 8192] as const;

/**
 * NIST curves by size. Vault also takes P-224, which Node's WebCrypto cannot
 * sign with, so Coffer rejects it.
 */
export const EC_CURVES: Readonly<Record<number, { curve: string; hash: string }>> = {
  256: { curve: 'P-256', hash: 'SHA-256' },
  384: { curve: 'P-384', hash: 'SHA-384' },
  521: { curve: 'P-521', hash: 'SHA-512' },
};

/** A key type with its size in bits, 0 for ed25519. */
export interface KeySpec {
  type: KeyType;
  bits: number;
}

/** A WebCrypto signature algorithm, in the form @peculiar/x509 takes. */
export interface SigningAlgorithm {
  name: string;
  hash?: string;
  namedCurve?: string;
  /** RSA-PSS salt length in bytes. */
  saltLength?: number;
}

export function isKeyType(value: string): value is KeyType {
  return (KEY_TYPES as readonly string[]).includes(value);
}

/**
 * Checks `key_type` and `key_bits` with Vault's rules and fills in the
 * default size: 2048 bits for RSA and P-256 for EC.
 * @throws CofferError (400) naming the field and the values it takes.
 */
export function checkKeySpec(type: string, bits: number): KeySpec {
  if (!isKeyType(type)) throw invalidField('key_type', `unknown key type "${type}": use rsa, ec or ed25519`);
  if (type === 'rsa') {
    const size = bits === 0 ? 2048 : bits;
    if (!(RSA_KEY_BITS as readonly number[]).includes(size)) {
      throw invalidField('key_bits', `unsupported bit length ${size} for an rsa key: use 2048, 3072, 4096 or 8192`);
    }
    return { type, bits: size };
  }
  if (type === 'ec') {
    const size = bits === 0 ? 256 : bits;
    if (EC_CURVES[size] === undefined) throw invalidField('key_bits', `unsupported bit length ${size} for an ec key: use 256, 384 or 521`);
    return { type, bits: size };
  }
  return { type, bits: 0 };
}

/** Generates a key pair on the thread pool, so a 4096-bit RSA key does not stall other requests. */
export async function generateKey(spec: KeySpec): Promise<KeyObject> {
  switch (spec.type) {
    case 'rsa':
      return (await generateKeyPairAsync('rsa', { modulusLength: spec.bits })).privateKey;
    case 'ec':
      return (await generateKeyPairAsync('ec', { namedCurve: EC_CURVES[spec.bits].curve })).privateKey;
    case 'ed25519':
      return (await generateKeyPairAsync('ed25519')).privateKey;
  }
}

/** Returns the type and size of a public or private key, or the reason the engine cannot use it. */
export function inspectKey(key: KeyObject): KeySpec | { problem: string } {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    // RFC 8017 section 3.1 requires e >= 3 and e coprime to the even λ(n),
    // so e is odd. With e = 1 anyone can compute a valid signature, and a
    // CSR's signature would prove nothing.
    const exponent = key.asymmetricKeyDetails?.publicExponent ?? 0n;
    if (exponent < 3n || exponent % 2n === 0n) {
      return { problem: `RSA public exponent ${exponent} is not allowed: use an odd exponent of at least 3, such as 65537` };
    }
    return { type, bits: key.asymmetricKeyDetails?.modulusLength ?? 0 };
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const bits = { prime256v1: 256, secp384r1: 384, secp521r1: 521 }[curve ?? ''];
    if (bits === undefined) return { problem: `unsupported elliptic curve ${curve ?? 'unknown'}: use P-256, P-384 or P-521` };
    return { type, bits };
  }
  if (type === 'ed25519') return { type, bits: 0 };
  return { problem: `unsupported key type ${type ?? 'unknown'}: use rsa, ec or ed25519` };
}

/**
 * Returns the type and size of a key the engine has already accepted.
 * @throws Error for a key type the engine does not support.
 */
export function describeKey(key: KeyObject): KeySpec {
  const result = inspectKey(key);
  if ('problem' in result) throw new Error(result.problem);
  return result;
}

/**
 * Returns the type and size of a key from a request.
 * @throws CofferError (400) naming `field` when the engine cannot use the key.
 */
export function checkRequestKey(field: string, key: KeyObject): KeySpec {
  const result = inspectKey(key);
  if ('problem' in result) throw invalidField(field, result.problem);
  return result;
}

/**
 * Returns the algorithm a key signs certificates and CRLs with: SHA-256
 * for RSA unless `signatureBits` requests more, the curve's own hash for
 * EC (as Vault picks it), and pure Ed25519. With `usePss` an RSA key signs
 * with RSA-PSS, using MGF1 over the same hash and a salt as long as the
 * hash, as Go's x509 package (and so Vault) does. Other keys ignore it.
 */
export function signingAlgorithm(spec: KeySpec, signatureBits = 0, usePss = false): SigningAlgorithm {
  switch (spec.type) {
    case 'rsa': {
      const bits = signatureBits === 0 ? 256 : signatureBits;
      if (usePss) return { name: 'RSA-PSS', hash: `SHA-${bits}`, saltLength: bits / 8 };
      return { name: 'RSASSA-PKCS1-v1_5', hash: `SHA-${bits}` };
    }
    case 'ec':
      return { name: 'ECDSA', namedCurve: EC_CURVES[spec.bits].curve, hash: EC_CURVES[spec.bits].hash };
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

/** Imports a private key into WebCrypto for signing. */
export async function importSigningKey(key: KeyObject, algorithm: SigningAlgorithm): Promise<webcrypto.CryptoKey> {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, importParameters(algorithm), false, ['sign']);
}

/** Imports the public half of a key into WebCrypto. */
export async function importPublicKey(key: KeyObject, algorithm: SigningAlgorithm): Promise<webcrypto.CryptoKey> {
  const der = publicKeyOf(key).export({ type: 'spki', format: 'der' });
  return webcrypto.subtle.importKey('spki', der, importParameters(algorithm), true, ['verify']);
}

/** Returns true when two keys (public or private) have the same public key. */
export function samePublicKey(left: KeyObject, right: KeyObject): boolean {
  const encode = (key: KeyObject) => publicKeyOf(key).export({ type: 'spki', format: 'der' });
  return encode(left).equals(encode(right));
}

/** Returns the public half of a private key, or the key itself when it is public. */
export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === 'public' ? key : createPublicKey(key);
}

function importParameters(algorithm: SigningAlgorithm): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.Algorithm {
  if (algorithm.name === 'RSASSA-PKCS1-v1_5' || algorithm.name === 'RSA-PSS') return { name: algorithm.name, hash: algorithm.hash ?? 'SHA-256' };
  if (algorithm.name === 'ECDSA') return { name: algorithm.name, namedCurve: algorithm.namedCurve ?? 'P-256' };
  return { name: algorithm.name };
}

/** Returns the PKCS #8 PEM of a private key, the form keys are stored in. */
export function storedKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString().trim();
}

/** Loads a private key from PEM (PKCS #1, SEC 1 or PKCS #8). */
export function loadPrivateKey(pem: string): KeyObject {
  return createPrivateKey(pem);
}

/**
 * Encodes a private key for a response. With `private_key_format` "der"
 * (Vault's default) RSA keys are PKCS #1, EC keys SEC 1 and Ed25519 keys
 * PKCS #8; with "pkcs8" every key is PKCS #8. `format` "der" returns base64
 * DER instead of PEM.
 */
export function encodePrivateKey(key: KeyObject, privateKeyFormat: string, format: string): string {
  const type = key.asymmetricKeyType;
  let encoding: 'pkcs8' | 'pkcs1' | 'sec1' = 'sec1';
  if (privateKeyFormat === 'pkcs8' || type === 'ed25519') encoding = 'pkcs8';
  else if (type === 'rsa') encoding = 'pkcs1';
  if (format === 'der') return key.export({ type: encoding, format: 'der' }).toString('base64');
  return key.export({ type: encoding, format: 'pem' }).toString().trim();
}
