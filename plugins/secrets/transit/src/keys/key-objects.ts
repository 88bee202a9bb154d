/**
 * Node.js KeyObjects of asymmetric key versions, parsed once per version.
 * Parsing an RSA key from DER costs about as much as one signature, so the
 * objects are kept for as long as the version itself is referenced.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { badRequest, internalError } from '@coffer/sdk';
import { ed25519KeyFromSeed, ed25519PublicKeyFromBytes } from './key-material.js';
import type { KeyVersion } from './key-policy.js';
import type { KeyType } from './key-types.js';

const privateKeys = new WeakMap<KeyVersion, KeyObject>();
const publicKeys = new WeakMap<KeyVersion, KeyObject>();

/** Error message for a version imported with its public key only, which cannot sign, decrypt or export private material. */
export const PUBLIC_KEY_ONLY_MESSAGE = 'this key version has only an imported public key: import its private key with import_version';

/**
 * Returns whether an asymmetric version was imported with its public key
 * only. Such versions have neither `key` nor `privateKey`.
 */
export function isPublicKeyOnly(version: KeyVersion): boolean {
  return version.key === undefined && version.privateKey === undefined && version.publicKey !== undefined;
}

/**
 * Returns the private key of an Ed25519, ECDSA or RSA version.
 * @throws CofferError (400) when only the version's public key was
 *   imported, and (500) when the version contains no key at all.
 */
export function privateKeyObject(type: KeyType, version: KeyVersion): KeyObject {
  let key = privateKeys.get(version);
  if (key !== undefined) return key;

  if (type === 'ed25519' && version.key !== undefined) {
    key = ed25519KeyFromSeed(version.key.subarray(0, 32));
  } else if (version.privateKey !== undefined) {
    key = createPrivateKey({ key: version.privateKey, format: 'der', type: 'pkcs8' });
  } else if (isPublicKeyOnly(version)) {
    throw badRequest(PUBLIC_KEY_ONLY_MESSAGE);
  } else {
    throw internalError(`a ${type} key version contains no private key`);
  }
  privateKeys.set(version, key);
  return key;
}

/** Returns the public key of an Ed25519, ECDSA or RSA version. */
export function publicKeyObject(type: KeyType, version: KeyVersion): KeyObject {
  let key = publicKeys.get(version);
  if (key === undefined) {
    key = isPublicKeyOnly(version) ? importedPublicKey(type, String(version.publicKey)) : createPublicKey(privateKeyObject(type, version));
    publicKeys.set(version, key);
  }
  return key;
}

/** Parses the stored public key of a version imported without its private key. */
function importedPublicKey(type: KeyType, text: string): KeyObject {
  if (type === 'ed25519') return ed25519PublicKeyFromBytes(Buffer.from(text, 'base64'));
  return createPublicKey({ key: text, format: 'pem', type: 'spki' });
}
