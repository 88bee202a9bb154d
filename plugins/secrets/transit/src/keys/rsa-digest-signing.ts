/**
 * RSA signatures over a digest the caller computed (`prehashed`). Node's
 * `crypto.sign` always hashes its input, so these functions build the
 * encoded message themselves and apply the raw RSA operation. The encodings
 * are EMSA-PKCS1-v1_5 and EMSA-PSS with MGF1 (RFC 8017, sections 9.2 and
 * 9.1). MGF1 uses the message's hash, as in Go's crypto/rsa, which Vault uses.
 */
import { constants, createHash, privateEncrypt, publicDecrypt, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { digestInfo, HASH_ALGORITHMS, type HashAlgorithm } from './hashes.js';

/**
 * PSS salt length in Go's convention, which Vault's API follows:
 * 0 for the longest salt when signing and any salt when verifying,
 * -1 for a salt as long as the digest, or a length in bytes.
 */
export type PssSaltLength = number;
export const PSS_SALT_AUTO = 0;
export const PSS_SALT_EQUALS_HASH = -1;

/** Signs a digest, or with `none` the raw input, with PKCS#1 v1.5 padding. */
export function signDigestPkcs1v15(privateKey: KeyObject, algorithm: HashAlgorithm | 'none', digest: Buffer): Buffer {
  const encoded = algorithm === 'none' ? digest : digestInfo(algorithm, digest);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, encoded);
}

export function verifyDigestPkcs1v15(publicKey: KeyObject, algorithm: HashAlgorithm | 'none', digest: Buffer, signature: Buffer): boolean {
  const expected = algorithm === 'none' ? digest : digestInfo(algorithm, digest);
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  return recovered.length === expected.length && timingSafeEqual(recovered, expected);
}

/** Signs a digest with RSASSA-PSS. */
export function signDigestPss(privateKey: KeyObject, modulusBits: number, algorithm: HashAlgorithm, digest: Buffer, saltLength: PssSaltLength): Buffer {
  const hashBytes = HASH_ALGORITHMS[algorithm].bytes;
  const encodedBits = modulusBits - 1;
  const encodedLength = Math.ceil(encodedBits / 8);
  const salt = randomBytes(resolveSignSalt(saltLength, encodedLength, hashBytes));

  const hash = createHash(HASH_ALGORITHMS[algorithm].node).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const dataBlock = Buffer.alloc(encodedLength - hashBytes - 1);
  dataBlock[dataBlock.length - salt.length - 1] = 0x01;
  salt.copy(dataBlock, dataBlock.length - salt.length);
  xorInPlace(dataBlock, mgf1(algorithm, hash, dataBlock.length));
  dataBlock[0] &= 0xff >> (8 * encodedLength - encodedBits);

  const encoded = Buffer.concat([dataBlock, hash, Buffer.from([0xbc])]);
  const block = Buffer.concat([Buffer.alloc(Math.ceil(modulusBits / 8) - encodedLength), encoded]);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, block);
}

/** Verifies an RSASSA-PSS signature over a digest. */
export function verifyDigestPss(
  publicKey: KeyObject,
  modulusBits: number,
  algorithm: HashAlgorithm,
  digest: Buffer,
  signature: Buffer,
  saltLength: PssSaltLength,
): boolean {
  const hashBytes = HASH_ALGORITHMS[algorithm].bytes;
  const encodedBits = modulusBits - 1;
  const encodedLength = Math.ceil(encodedBits / 8);

  let block: Buffer;
  try {
    block = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false;
  }
  const encoded = block.subarray(block.length - encodedLength);
  const unusedBits = 8 * encodedLength - encodedBits;
  if (encoded[encoded.length - 1] !== 0xbc || (encoded[0] & ~(0xff >> unusedBits)) !== 0) return false;

  const dataBlock = Buffer.from(encoded.subarray(0, encodedLength - hashBytes - 1));
  const hash = encoded.subarray(encodedLength - hashBytes - 1, encodedLength - 1);
  xorInPlace(dataBlock, mgf1(algorithm, hash, dataBlock.length));
  dataBlock[0] &= 0xff >> unusedBits;

  const separator = dataBlock.indexOf(0x01);
  if (separator === -1 || dataBlock.subarray(0, separator).some((byte) => byte !== 0)) return false;
  const salt = dataBlock.subarray(separator + 1);
  if (saltLength !== PSS_SALT_AUTO && salt.length !== (saltLength === PSS_SALT_EQUALS_HASH ? hashBytes : saltLength)) return false;

  const expected = createHash(HASH_ALGORITHMS[algorithm].node).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return timingSafeEqual(expected, hash);
}

/** Returns the longest PSS salt a key allows with a hash, as Go computes it. */
export function maxPssSaltLength(modulusBits: number, algorithm: HashAlgorithm): number {
  return Math.ceil((modulusBits - 1) / 8) - 2 - HASH_ALGORITHMS[algorithm].bytes;
}

function resolveSignSalt(saltLength: PssSaltLength, encodedLength: number, hashBytes: number): number {
  if (saltLength === PSS_SALT_AUTO) return encodedLength - 2 - hashBytes;
  if (saltLength === PSS_SALT_EQUALS_HASH) return hashBytes;
  return saltLength;
}

/** MGF1 (RFC 8017, appendix B.2.1). */
function mgf1(algorithm: HashAlgorithm, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  let produced = 0;
  for (let counter = 0; produced < length; counter++) {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    const block = createHash(HASH_ALGORITHMS[algorithm].node).update(seed).update(counterBytes).digest();
    blocks.push(block);
    produced += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function xorInPlace(target: Buffer, mask: Buffer): void {
  for (let i = 0; i < target.length; i++) target[i] ^= mask[i];
}
