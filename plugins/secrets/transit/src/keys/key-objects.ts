/**
 * Node.js KeyObjects of asymmetric key versions, parsed once per version.
 * Parsing an RSA key from DER costs about as much as one signature, so the
 * objects are kept for as long as the version itself is referenced.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { internalError } from '@coffer/sdk';
import { ed25519KeyFromSeed } from './key-material.js';
import type { KeyVersion } from './key-policy.js';
import type { KeyType } from './key-types.js';

const privateKeys = new WeakMap<KeyVersion, KeyObject>();
const publicKeys = new WeakMap<KeyVersion, KeyObject>();

/**
 * Returns the private key of an Ed25519, ECDSA or RSA version.
 * @throws CofferError (500) when the version contains no private key.
 */
export function privateKeyObject(type: KeyType, version: KeyVersion): KeyObject {
  let key = privateKeys.get(version);
  if (key !== undefined) return key;

  if (type === 'ed25519' && version.key !== undefined) {
    key = ed25519KeyFromSeed(version.key.subarray(0, 32));
  } else if (version.privateKey !== undefined) {
    key = createPrivateKey({ key: version.privateKey, format: 'der', type: 'pkcs8' });
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
    key = createPublicKey(privateKeyObject(type, version));
    publicKeys.set(version, key);
  }
  return key;
}
