/**
 * Hash algorithms by Vault's names, with the Node.js digest name, the
 * digest size and the DER of the algorithm identifier that PKCS#1 v1.5
 * signatures embed (RFC 8017, section 9.2, note 1; the SHA-3 object
 * identifiers are NIST's 2.16.840.1.101.3.4.2.7 to .10).
 */

export const HASH_ALGORITHMS = {
  sha1: { node: 'sha1', bytes: 20, oid: '2b0e03021a' },
  'sha2-224': { node: 'sha224', bytes: 28, oid: '608648016503040204' },
  'sha2-256': { node: 'sha256', bytes: 32, oid: '608648016503040201' },
  'sha2-384': { node: 'sha384', bytes: 48, oid: '608648016503040202' },
  'sha2-512': { node: 'sha512', bytes: 64, oid: '608648016503040203' },
  'sha3-224': { node: 'sha3-224', bytes: 28, oid: '608648016503040207' },
  'sha3-256': { node: 'sha3-256', bytes: 32, oid: '608648016503040208' },
  'sha3-384': { node: 'sha3-384', bytes: 48, oid: '608648016503040209' },
  'sha3-512': { node: 'sha3-512', bytes: 64, oid: '60864801650304020a' },
} as const;

export type HashAlgorithm = keyof typeof HASH_ALGORITHMS;

/** The algorithms of `hash/` and `hmac/`: the SHA-2 and SHA-3 families, as Vault documents them. */
export const DIGEST_ALGORITHMS: readonly HashAlgorithm[] = [
  'sha2-224',
  'sha2-256',
  'sha2-384',
  'sha2-512',
  'sha3-224',
  'sha3-256',
  'sha3-384',
  'sha3-512',
];

/**
 * The hash algorithms of `sign/` and `verify/`. `none` signs the input as it is, and
 * Vault allows it only for prehashed PKCS#1 v1.5 RSA signatures.
 */
export const SIGNATURE_HASH_ALGORITHMS: readonly (HashAlgorithm | 'none')[] = ['sha1', ...DIGEST_ALGORITHMS, 'none'];

export function isDigestAlgorithm(name: string): name is HashAlgorithm {
  return (DIGEST_ALGORITHMS as readonly string[]).includes(name);
}

export function isSignatureHashAlgorithm(name: string): name is HashAlgorithm | 'none' {
  return (SIGNATURE_HASH_ALGORITHMS as readonly string[]).includes(name);
}

/** Returns the DER DigestInfo of a digest, the value a PKCS#1 v1.5 signature pads and signs. */
export function digestInfo(algorithm: HashAlgorithm, digest: Buffer): Buffer {
  const oid = Buffer.from(HASH_ALGORITHMS[algorithm].oid, 'hex');
  const algorithmIdentifier = der(0x30, Buffer.concat([der(0x06, oid), Buffer.from([0x05, 0x00])]));
  return der(0x30, Buffer.concat([algorithmIdentifier, der(0x04, digest)]));
}

/** Encodes one DER element whose content is shorter than 128 bytes, which every DigestInfo is. */
function der(tag: number, content: Buffer): Buffer {
  if (content.length > 127) throw new RangeError(`DER content of ${content.length} bytes needs a long length form`);
  return Buffer.concat([Buffer.from([tag, content.length]), content]);
}
