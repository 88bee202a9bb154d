/**
 * Generating the material of a new key version. Asymmetric keys come from
 * the asynchronous `crypto.generateKeyPair`, which runs on libuv's thread
 * pool, so an RSA-4096 key (1 to 5 seconds on one core of the development
 * machine, an AMD EPYC) does not block the event loop.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import type { KeyVersion } from './key-policy.js';
import { ecdsaCurve, isEcdsa, isRsa, isSymmetric, rsaModulusBits, symmetricKeyBytes, type KeyType } from './key-types.js';

/** Size of the HMAC key that every version of a non-`hmac` key carries, as in Vault. */
export const HMAC_KEY_BYTES = 32;

/** The nonce derivation Coffer uses for new convergent keys: Vault's version 3. */
export const CURRENT_CONVERGENT_VERSION = 3;

/** PKCS#8 DER of an Ed25519 private key up to its 32-byte seed (RFC 8410, section 7). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface VersionOptions {
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  /** Key length in bytes of an `hmac` key. */
  keySize: number;
  convergent: boolean;
}

/** Generates the material of one new version of a `type` key. */
export async function generateKeyVersion(type: KeyType, options: VersionOptions): Promise<KeyVersion> {
  const common = {
    createdAt: options.createdAt,
    ...(options.convergent ? { convergentVersion: CURRENT_CONVERGENT_VERSION } : {}),
  };

  if (isSymmetric(type)) {
    return { ...common, key: randomBytes(symmetricKeyBytes(type)), hmacKey: randomBytes(HMAC_KEY_BYTES) };
  }
  if (type === 'hmac') {
    const key = randomBytes(options.keySize);
    return { ...common, key, hmacKey: key };
  }
  if (type === 'ed25519') {
    const { privateKey } = await generatePair('ed25519', {});
    const seed = ed25519Seed(privateKey);
    const publicKey = ed25519PublicKeyBytes(privateKey);
    return { ...common, key: Buffer.concat([seed, publicKey]), publicKey: publicKey.toString('base64'), hmacKey: randomBytes(HMAC_KEY_BYTES) };
  }

  const { privateKey } = isEcdsa(type)
    ? await generatePair('ec', { namedCurve: ecdsaCurve(type) })
    : await generatePair('rsa', { modulusLength: rsaModulusBits(rsaType(type)), publicExponent: 0x10001 });
  return {
    ...common,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }),
    publicKey: publicKeyPem(privateKey),
    hmacKey: randomBytes(HMAC_KEY_BYTES),
  };
}

/** Builds an Ed25519 private key from its 32-byte seed. */
export function ed25519KeyFromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** SubjectPublicKeyInfo DER of an Ed25519 public key up to its 32 bytes (RFC 8410, section 4). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Builds an Ed25519 public key from its raw 32 bytes. */
export function ed25519PublicKeyFromBytes(bytes: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, bytes]), format: 'der', type: 'spki' });
}

/** Returns the raw 32-byte public key of an Ed25519 private or public key. */
export function ed25519PublicKeyBytes(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return spki.subarray(spki.length - 32);
}

/** Returns the SubjectPublicKeyInfo PEM of a private or public key, ending with a newline as Go writes it. */
export function publicKeyPem(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const pem = String(publicKey.export({ type: 'spki', format: 'pem' }));
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

/** Returns the 32-byte seed of an Ed25519 private key. */
export function ed25519Seed(privateKey: KeyObject): Buffer {
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  return pkcs8.subarray(pkcs8.length - 32);
}

function rsaType(type: KeyType): 'rsa-2048' | 'rsa-3072' | 'rsa-4096' {
  if (!isRsa(type)) throw new Error(`key type ${type} is not an RSA type`);
  return type;
}

type PairOptions = { namedCurve: string } | { modulusLength: number; publicExponent: number } | Record<string, never>;

function generatePair(kind: 'ed25519' | 'ec' | 'rsa', options: PairOptions): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject): void => {
      if (err !== null) reject(err);
      else resolve({ publicKey, privateKey });
    };
    // The overloads of generateKeyPair are keyed by the literal kind, so
    // each call names its kind for TypeScript to pick the right one.
    if (kind === 'ed25519') generateKeyPair('ed25519', {}, done);
    else if (kind === 'ec') generateKeyPair('ec', options as { namedCurve: string }, done);
    else generateKeyPair('rsa', options as { modulusLength: number; publicExponent: number }, done);
  });
}
