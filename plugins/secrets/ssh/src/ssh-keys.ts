/**
 * SSH public keys: the wire blobs of RFC 4253 (ssh-rsa), RFC 5656 (ECDSA)
 * and RFC 8709 (ssh-ed25519), their authorized_keys text form, and their
 * conversion to and from node:crypto key objects through JWK.
 */
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { SshFormatError, SshReader, SshWriter } from './ssh-wire.js';

/** The SSH public key algorithms the engine signs and signs with. */
export const SSH_KEY_TYPES = ['ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'] as const;
export type SshKeyType = (typeof SSH_KEY_TYPES)[number];

/** The curve name inside an ECDSA key blob and the JWK curve of each ECDSA key type. */
const ECDSA_CURVES: Record<string, { sshCurve: string; jwkCurve: string; bits: number }> = {
  'ecdsa-sha2-nistp256': { sshCurve: 'nistp256', jwkCurve: 'P-256', bits: 256 },
  'ecdsa-sha2-nistp384': { sshCurve: 'nistp384', jwkCurve: 'P-384', bits: 384 },
  'ecdsa-sha2-nistp521': { sshCurve: 'nistp521', jwkCurve: 'P-521', bits: 521 },
};

/** A parsed SSH public key. */
export interface SshPublicKey {
  type: SshKeyType;
  /** The wire encoding, as certificates and fingerprints use it. */
  blob: Buffer;
  key: KeyObject;
  /** Modulus length for RSA, curve size for ECDSA, 256 for Ed25519. */
  bits: number;
}

/** Returns true when `type` is one of {@link SSH_KEY_TYPES}. */
export function isSshKeyType(type: string): type is SshKeyType {
  return (SSH_KEY_TYPES as readonly string[]).includes(type);
}

/** Returns the ECDSA key type whose curve is `jwkCurve` (`P-256` ...), if any. */
export function ecdsaTypeForCurve(jwkCurve: string): SshKeyType | undefined {
  const entry = Object.entries(ECDSA_CURVES).find(([, curve]) => curve.jwkCurve === jwkCurve);
  return entry === undefined ? undefined : (entry[0] as SshKeyType);
}

function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

function fromBase64url(text: string | undefined): Buffer {
  return Buffer.from(text ?? '', 'base64url');
}

/**
 * Parses a public key in authorized_keys form: `type base64 [comment]`.
 * Options before the type, as authorized_keys lines may carry, are not accepted.
 * @throws SshFormatError naming what is wrong.
 */
export function parseAuthorizedKey(text: string): SshPublicKey {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 2 || fields[0] === '') throw new SshFormatError('expected "<key type> <base64 key> [comment]"');
  const [type, encoded] = fields as [string, string];
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new SshFormatError('the key is not valid base64');
  const parsed = parsePublicKeyBlob(Buffer.from(encoded, 'base64'));
  if (parsed.type !== type) throw new SshFormatError(`the key type "${type}" does not match the encoded key of type "${parsed.type}"`);
  return parsed;
}

/**
 * Parses the wire encoding of a public key.
 * @throws SshFormatError for an unsupported type or a malformed key.
 */
export function parsePublicKeyBlob(blob: Buffer): SshPublicKey {
  const reader = new SshReader(blob);
  const type = reader.text();
  if (!isSshKeyType(type)) throw new SshFormatError(`unsupported key type "${type}": use one of ${SSH_KEY_TYPES.join(', ')}`);

  let jwk: JsonWebKey;
  let bits: number;
  if (type === 'ssh-rsa') {
    const e = reader.mpint();
    const n = reader.mpint();
    checkRsaExponent(e);
    jwk = { kty: 'RSA', e: base64url(e), n: base64url(n) };
    bits = bitLength(n);
  } else if (type === 'ssh-ed25519') {
    const point = reader.string();
    if (point.length !== 32) throw new SshFormatError(`an ssh-ed25519 key must be 32 bytes, got ${point.length}`);
    jwk = { kty: 'OKP', crv: 'Ed25519', x: base64url(point) };
    bits = 256;
  } else {
    const curve = ECDSA_CURVES[type]!;
    const name = reader.text();
    if (name !== curve.sshCurve) throw new SshFormatError(`curve "${name}" does not match key type ${type}`);
    jwk = ecPointJwk(reader.string(), curve.jwkCurve, curve.bits);
    bits = curve.bits;
  }
  reader.expectEnd();

  try {
    return { type, blob, key: createPublicKey({ key: jwk, format: 'jwk' }), bits };
  } catch (err) {
    throw new SshFormatError(`invalid ${type} key: ${(err as Error).message}`);
  }
}

/**
 * Rejects an RSA public exponent that is even, below 3 or longer than 24
 * bits, as Go's x/crypto/ssh (and so Vault) does. With e = 1 anyone can
 * compute a signature that the key verifies, so a certificate for such a
 * key would let anyone log in.
 */
function checkRsaExponent(magnitude: Buffer): void {
  const exponent = magnitude.length === 0 ? 0n : BigInt(`0x${magnitude.toString('hex')}`);
  if (exponent >= 2n ** 24n) throw new SshFormatError('RSA public exponent is longer than 24 bits: use 65537');
  if (exponent < 3n || exponent % 2n === 0n) {
    throw new SshFormatError(`RSA public exponent ${exponent} is not allowed: use an odd exponent of at least 3, such as 65537`);
  }
}

/** Returns the JWK of an uncompressed SEC1 point on a NIST curve. */
function ecPointJwk(point: Buffer, jwkCurve: string, bits: number): JsonWebKey {
  const size = Math.ceil(bits / 8);
  if (point.length !== 1 + 2 * size || point[0] !== 0x04) throw new SshFormatError(`the ${jwkCurve} point is not an uncompressed point of ${1 + 2 * size} bytes`);
  return { kty: 'EC', crv: jwkCurve, x: base64url(point.subarray(1, 1 + size)), y: base64url(point.subarray(1 + size)) };
}

function bitLength(magnitude: Buffer): number {
  if (magnitude.length === 0) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
}

/**
 * Encodes a node:crypto public (or private) key as an SSH public key.
 * @throws SshFormatError for a key type SSH certificates cannot carry.
 */
export function sshPublicKeyOf(key: KeyObject): SshPublicKey {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  const writer = new SshWriter();
  let type: SshKeyType;
  let bits: number;

  if (jwk.kty === 'RSA') {
    type = 'ssh-rsa';
    const n = fromBase64url(jwk.n);
    writer.string(type).mpint(fromBase64url(jwk.e)).mpint(n);
    bits = publicKey.asymmetricKeyDetails?.modulusLength ?? bitLength(n);
  } else if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    type = 'ssh-ed25519';
    writer.string(type).string(fromBase64url(jwk.x));
    bits = 256;
  } else if (jwk.kty === 'EC' && jwk.crv !== undefined && ecdsaTypeForCurve(jwk.crv) !== undefined) {
    type = ecdsaTypeForCurve(jwk.crv)!;
    const curve = ECDSA_CURVES[type]!;
    const size = Math.ceil(curve.bits / 8);
    const point = Buffer.concat([Buffer.from([4]), leftPad(fromBase64url(jwk.x), size), leftPad(fromBase64url(jwk.y), size)]);
    writer.string(type).string(curve.sshCurve).string(point);
    bits = curve.bits;
  } else {
    throw new SshFormatError(`unsupported key type ${jwk.kty}${jwk.crv !== undefined ? ` ${jwk.crv}` : ''}: use RSA, ECDSA on P-256, P-384 or P-521, or Ed25519`);
  }
  return { type, blob: writer.toBuffer(), key: publicKey, bits };
}

/** Left-pads big-endian bytes with zeros to `size`. */
export function leftPad(bytes: Buffer, size: number): Buffer {
  return bytes.length >= size ? bytes : Buffer.concat([Buffer.alloc(size - bytes.length), bytes]);
}

/** Formats a public key or certificate blob as one authorized_keys line with a trailing newline, as Vault returns them. */
export function authorizedKeyLine(type: string, blob: Buffer): string {
  return `${type} ${blob.toString('base64')}\n`;
}

/** Returns the OpenSSH SHA256 fingerprint of a key blob, as `ssh-keygen -l` prints it. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
