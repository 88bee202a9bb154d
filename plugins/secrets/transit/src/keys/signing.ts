/**
 * Signing and verification with a key policy, in Vault's formats:
 * `vault:v<N>:` then the signature in standard base64 (`asn1`) or in
 * unpadded base64url (`jws`). ECDSA signatures are DER with `asn1` and the
 * fixed-size r || s of JWS with `jws`. Ed25519 signs its input as it is;
 * ECDSA and RSA sign its digest, computed here unless `prehashed`.
 */
import { constants, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { badRequest } from '@coffer/sdk';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { decodeRawUrlBase64, decodeStandardBase64 } from '../base64.js';
import { invalidField, TOO_OLD_MESSAGE, unsupportedByKeyType } from '../errors.js';
import { versionKeyMaterial } from './derivation.js';
import { HASH_ALGORITHMS, type HashAlgorithm } from './hashes.js';
import { ed25519KeyFromSeed, ed25519PublicKeyBytes } from './key-material.js';
import { privateKeyObject, publicKeyObject } from './key-objects.js';
import { loadedVersion, type KeyPolicy, type KeyVersion } from './key-policy.js';
import { isEcdsa, isRsa, rsaModulusBits, supportsSigning, type EcdsaKeyType } from './key-types.js';
import {
  maxPssSaltLength,
  PSS_SALT_AUTO,
  PSS_SALT_EQUALS_HASH,
  signDigestPkcs1v15,
  signDigestPss,
  verifyDigestPkcs1v15,
  verifyDigestPss,
  type PssSaltLength,
} from './rsa-digest-signing.js';
import { formatVersioned, parseVersioned } from './versioned-value.js';

/** Minimum padding of an EMSA-PKCS1-v1_5 block in bytes (RFC 8017, section 9.2). */
const PKCS1_V15_MIN_PADDING = 11;

export interface SignatureOptions {
  input: Buffer;
  context?: Buffer;
  hashAlgorithm: HashAlgorithm | 'none';
  /** The input is already a digest made with `hashAlgorithm`. */
  prehashed: boolean;
  signatureAlgorithm: 'pss' | 'pkcs1v15';
  marshaling: 'asn1' | 'jws';
  saltLength: PssSaltLength;
}

export interface SignResult {
  signature: string;
  version: number;
  /** The derived Ed25519 public key, returned when the key is derived. */
  publicKey?: Buffer;
}

/**
 * Signs with the chosen version; 0 takes the latest.
 * @throws CofferError (400) for a version the policy does not allow or an
 *   option the key type cannot take.
 */
export function sign(policy: KeyPolicy, requestedVersion: number, options: SignatureOptions): SignResult {
  if (!supportsSigning(policy.type)) throw unsupportedByKeyType('signing', policy.type);
  if (policy.type === 'ed25519') rejectEd25519phOptions(options);
  const version = signingVersion(policy, requestedVersion);
  const entry = loadedVersion(policy, version);
  if (entry === undefined) throw invalidField('key_version', `version ${version} is below min_decryption_version ${policy.minDecryptionVersion}`);

  let signature: Buffer;
  let publicKey: Buffer | undefined;
  if (policy.type === 'ed25519') {
    const key = ed25519SigningKey(policy, entry, options.context);
    signature = nodeSign(null, options.input, key);
    if (policy.derived) publicKey = ed25519PublicKeyBytes(key);
  } else if (isEcdsa(policy.type)) {
    signature = signEcdsa(policy.type, privateKeyObject(policy.type, entry), options);
  } else {
    signature = signRsa(policy, privateKeyObject(policy.type, entry), options);
  }

  const encoded = options.marshaling === 'jws' ? signature.toString('base64url') : signature.toString('base64');
  return { signature: formatVersioned(version, encoded), version, ...(publicKey !== undefined ? { publicKey } : {}) };
}

/**
 * Checks a signature made by {@link sign}.
 * @throws CofferError (400) with Vault's messages for a malformed, too new
 *   or too old signature.
 */
export function verify(policy: KeyPolicy, signatureText: string, options: SignatureOptions): boolean {
  if (!supportsSigning(policy.type)) throw unsupportedByKeyType('verification', policy.type);
  if (policy.type === 'ed25519') rejectEd25519phOptions(options);

  const parsed = parseVersioned(signatureText, 'signature');
  if (parsed.version > policy.latestVersion) throw badRequest('invalid signature: version is too new');
  if (parsed.version < policy.minDecryptionVersion) throw badRequest(TOO_OLD_MESSAGE);
  const decoded = options.marshaling === 'jws' ? decodeRawUrlBase64(parsed.data) : decodeStandardBase64(parsed.data);
  if ('problem' in decoded) throw badRequest('invalid base64 signature value');
  const entry = loadedVersion(policy, parsed.version);
  if (entry === undefined) throw badRequest(`invalid signature: key version ${parsed.version} no longer exists`);

  if (policy.type === 'ed25519') {
    const key = policy.derived ? createPublicKey(ed25519SigningKey(policy, entry, options.context)) : publicKeyObject(policy.type, entry);
    return nodeVerify(null, options.input, key, decoded.bytes);
  }
  if (isEcdsa(policy.type)) return verifyEcdsa(policy.type, publicKeyObject(policy.type, entry), options, decoded.bytes);
  return verifyRsa(policy, publicKeyObject(policy.type, entry), options, decoded.bytes);
}

/**
 * Rejects the options that would ask for Ed25519ph (RFC 8032, section 5.1),
 * which Coffer does not implement. Signing the digest with pure Ed25519
 * instead would give a signature that an Ed25519ph verifier rejects.
 * Vault's community edition rejects the same two options.
 */
function rejectEd25519phOptions(options: SignatureOptions): void {
  if (options.prehashed) {
    throw invalidField('prehashed', 'ed25519 keys make only pure Ed25519 signatures, so prehashed must be false');
  }
  if (options.hashAlgorithm === 'sha2-512') {
    throw invalidField('hash_algorithm', 'ed25519 keys make only pure Ed25519 signatures, so leave hash_algorithm unset instead of sha2-512');
  }
}

function signingVersion(policy: KeyPolicy, requested: number): number {
  if (requested === 0) return policy.latestVersion;
  if (requested < 0) throw invalidField('key_version', `${requested} is negative: use 0 for the latest version or a version number`);
  if (requested > policy.latestVersion) {
    throw invalidField('key_version', `${requested} is higher than the latest key version ${policy.latestVersion}`);
  }
  if (policy.minEncryptionVersion > 0 && requested < policy.minEncryptionVersion) {
    throw invalidField('key_version', `${requested} is below min_encryption_version ${policy.minEncryptionVersion}`);
  }
  return requested;
}

/** Returns the version's Ed25519 key, or the key derived from it and the context. */
function ed25519SigningKey(policy: KeyPolicy, entry: KeyVersion, context: Buffer | undefined): KeyObject {
  if (!policy.derived) return privateKeyObject(policy.type, entry);
  // Vault feeds the derived bytes to ed25519.GenerateKey, which reads a 32-byte seed.
  return ed25519KeyFromSeed(versionKeyMaterial(policy, entry, context, 32));
}

function signEcdsa(type: EcdsaKeyType, key: KeyObject, options: SignatureOptions): Buffer {
  const dsaEncoding = options.marshaling === 'jws' ? 'ieee-p1363' : 'der';
  if (!options.prehashed && options.hashAlgorithm !== 'none') {
    return nodeSign(HASH_ALGORITHMS[options.hashAlgorithm].node, options.input, { key, dsaEncoding });
  }
  // Node.js cannot sign a given digest with ECDSA, so noble signs it.
  const jwk = key.export({ format: 'jwk' });
  const secretKey = Buffer.from(String(jwk.d), 'base64url');
  const format = options.marshaling === 'jws' ? 'compact' : 'der';
  return Buffer.from(nobleCurve(type).sign(options.input, secretKey, { prehash: false, lowS: false, format, extraEntropy: true }));
}

function verifyEcdsa(type: EcdsaKeyType, key: KeyObject, options: SignatureOptions, signature: Buffer): boolean {
  const dsaEncoding = options.marshaling === 'jws' ? 'ieee-p1363' : 'der';
  if (!options.prehashed && options.hashAlgorithm !== 'none') {
    return nodeVerify(HASH_ALGORITHMS[options.hashAlgorithm].node, options.input, { key, dsaEncoding }, signature);
  }
  const jwk = key.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.of(0x04), Buffer.from(String(jwk.x), 'base64url'), Buffer.from(String(jwk.y), 'base64url')]);
  const format = options.marshaling === 'jws' ? 'compact' : 'der';
  try {
    return nobleCurve(type).verify(signature, options.input, point, { prehash: false, lowS: false, format });
  } catch {
    return false;
  }
}

function signRsa(policy: KeyPolicy, key: KeyObject, options: SignatureOptions): Buffer {
  const bits = rsaBits(policy);
  if (options.hashAlgorithm === 'none') {
    checkUnhashedLength(policy, bits, options.input);
    return signDigestPkcs1v15(key, 'none', options.input);
  }
  checkDigestLength(options);

  if (options.signatureAlgorithm === 'pkcs1v15') {
    if (options.prehashed) return signDigestPkcs1v15(key, options.hashAlgorithm, options.input);
    return nodeSign(HASH_ALGORITHMS[options.hashAlgorithm].node, options.input, { key, padding: constants.RSA_PKCS1_PADDING });
  }

  checkSaltLength(policy, bits, options.hashAlgorithm, options.saltLength);
  if (options.prehashed) return signDigestPss(key, bits, options.hashAlgorithm, options.input, options.saltLength);
  return nodeSign(HASH_ALGORITHMS[options.hashAlgorithm].node, options.input, {
    key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: options.saltLength === PSS_SALT_AUTO ? constants.RSA_PSS_SALTLEN_MAX_SIGN : nodeSaltLength(options.saltLength),
  });
}

function verifyRsa(policy: KeyPolicy, key: KeyObject, options: SignatureOptions, signature: Buffer): boolean {
  const bits = rsaBits(policy);
  if (options.hashAlgorithm === 'none') return verifyDigestPkcs1v15(key, 'none', options.input, signature);
  checkDigestLength(options);

  if (options.signatureAlgorithm === 'pkcs1v15') {
    if (options.prehashed) return verifyDigestPkcs1v15(key, options.hashAlgorithm, options.input, signature);
    return nodeVerify(HASH_ALGORITHMS[options.hashAlgorithm].node, options.input, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  }

  checkSaltLength(policy, bits, options.hashAlgorithm, options.saltLength);
  if (options.prehashed) return verifyDigestPss(key, bits, options.hashAlgorithm, options.input, signature, options.saltLength);
  return nodeVerify(
    HASH_ALGORITHMS[options.hashAlgorithm].node,
    options.input,
    {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: options.saltLength === PSS_SALT_AUTO ? constants.RSA_PSS_SALTLEN_AUTO : nodeSaltLength(options.saltLength),
    },
    signature,
  );
}

function nodeSaltLength(saltLength: PssSaltLength): number {
  return saltLength === PSS_SALT_EQUALS_HASH ? constants.RSA_PSS_SALTLEN_DIGEST : saltLength;
}

function checkSaltLength(policy: KeyPolicy, bits: number, algorithm: HashAlgorithm, saltLength: PssSaltLength): void {
  const max = maxPssSaltLength(bits, algorithm);
  if (saltLength > max) {
    throw invalidField('salt_length', `${saltLength} is longer than the maximum of ${max} bytes for ${policy.type} with ${algorithm}`);
  }
}

/**
 * Rejects unhashed input too long to pad for the key. Without this check
 * OpenSSL fails the signature and the caller gets a 500.
 */
function checkUnhashedLength(policy: KeyPolicy, bits: number, input: Buffer): void {
  const limit = bits / 8 - PKCS1_V15_MIN_PADDING;
  if (input.length > limit) {
    throw invalidField('input', `${input.length} bytes is too long for PKCS#1 v1.5 with ${policy.type} and hash_algorithm none: send at most ${limit} bytes or a digest`);
  }
}

function checkDigestLength(options: SignatureOptions): void {
  if (!options.prehashed || options.hashAlgorithm === 'none') return;
  const expected = HASH_ALGORITHMS[options.hashAlgorithm].bytes;
  if (options.input.length !== expected) {
    throw invalidField('input', `a prehashed ${options.hashAlgorithm} input must be ${expected} bytes, got ${options.input.length}`);
  }
}

function rsaBits(policy: KeyPolicy): number {
  if (!isRsa(policy.type)) throw new Error(`key type ${policy.type} is not an RSA type`);
  return rsaModulusBits(policy.type);
}

function nobleCurve(type: EcdsaKeyType): typeof p256 {
  if (type === 'ecdsa-p256') return p256;
  return type === 'ecdsa-p384' ? p384 : p521;
}
