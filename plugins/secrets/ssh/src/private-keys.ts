/**
 * Private keys of the CA and of issued key pairs. This module parses PEM
 * (PKCS#1, SEC1, PKCS#8) and OpenSSH's own format (PROTOCOL.key in OpenSSH's
 * sources), writes the formats Vault returns, and generates key pairs on the
 * thread pool. It also makes SSH signatures: RFC 8332 for RSA, RFC 5656 for
 * ECDSA and RFC 8709 for Ed25519.
 */
import { createPrivateKey, generateKeyPair, randomBytes, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { leftPad, sshPublicKeyOf, type SshKeyType, type SshPublicKey } from './ssh-keys.js';
import { SshFormatError, SshReader, SshWriter } from './ssh-wire.js';

const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const OPENSSH_PEM = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/;

/** The RSA signature algorithms of RFC 8332, and `ssh-rsa` (SHA-1) of RFC 4253. */
export const RSA_SIGNATURE_ALGORITHMS = ['ssh-rsa', 'rsa-sha2-256', 'rsa-sha2-512'] as const;
export type RsaSignatureAlgorithm = (typeof RSA_SIGNATURE_ALGORITHMS)[number];

const RSA_HASHES: Record<RsaSignatureAlgorithm, string> = { 'ssh-rsa': 'sha1', 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512' };

/** The hash of each ECDSA key type, fixed by RFC 5656, section 6.2.1. */
const ECDSA_HASHES: Record<string, string> = { 'ecdsa-sha2-nistp256': 'sha256', 'ecdsa-sha2-nistp384': 'sha384', 'ecdsa-sha2-nistp521': 'sha512' };

/** A private key with its SSH public key. */
export interface SshKeyPair {
  privateKey: KeyObject;
  publicKey: SshPublicKey;
}

/**
 * Parses an unencrypted private key in PEM or OpenSSH form.
 * @throws SshFormatError naming the problem, never repeating the key.
 */
export function parsePrivateKey(text: string): SshKeyPair {
  const openssh = OPENSSH_PEM.exec(text);
  let privateKey: KeyObject;
  if (openssh !== null) {
    privateKey = parseOpenSshPrivateKey(Buffer.from(openssh[1]!.replace(/\s+/g, ''), 'base64'));
  } else {
    if (/ENCRYPTED/.test(text)) throw new SshFormatError('the key is encrypted: provide it without a passphrase');
    try {
      privateKey = createPrivateKey({ key: text, format: 'pem' });
    } catch {
      throw new SshFormatError('expected a PEM (PKCS#1, SEC1 or PKCS#8) or OpenSSH private key');
    }
  }
  return { privateKey, publicKey: sshPublicKeyOf(privateKey) };
}

/** Parses the binary body of an `OPENSSH PRIVATE KEY` block that holds one unencrypted key. */
function parseOpenSshPrivateKey(body: Buffer): KeyObject {
  if (!body.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) throw new SshFormatError('the OpenSSH key does not start with "openssh-key-v1"');
  const reader = new SshReader(body.subarray(OPENSSH_MAGIC.length));
  const cipher = reader.text();
  reader.text(); // kdf name
  reader.string(); // kdf options
  if (cipher !== 'none') throw new SshFormatError('the key is encrypted: provide it without a passphrase');
  const count = reader.uint32();
  if (count !== 1) throw new SshFormatError(`expected one key in the OpenSSH key file, found ${count}`);
  reader.string(); // public key, repeated inside the private section

  const section = new SshReader(reader.string());
  if (section.uint32() !== section.uint32()) throw new SshFormatError('the check numbers of the OpenSSH key differ');
  const type = section.text();
  return privateKeyFromFields(type, section);
}

function privateKeyFromFields(type: string, reader: SshReader): KeyObject {
  let jwk: JsonWebKey;
  if (type === 'ssh-ed25519') {
    const publicKey = reader.string();
    const secret = reader.string();
    if (publicKey.length !== 32 || secret.length !== 64) throw new SshFormatError('malformed ssh-ed25519 private key');
    jwk = { kty: 'OKP', crv: 'Ed25519', d: secret.subarray(0, 32).toString('base64url'), x: publicKey.toString('base64url') };
  } else if (type === 'ssh-rsa') {
    jwk = rsaJwk(reader);
  } else if (type in ECDSA_HASHES) {
    reader.text(); // curve name, implied by the type
    const point = reader.string();
    const d = reader.mpint();
    const size = (point.length - 1) / 2;
    const crv = { 32: 'P-256', 48: 'P-384', 66: 'P-521' }[size];
    if (crv === undefined || point[0] !== 4) throw new SshFormatError(`malformed ${type} private key`);
    const coordinate = (bytes: Buffer) => leftPad(bytes, size).toString('base64url');
    jwk = { kty: 'EC', crv, x: coordinate(point.subarray(1, 1 + size)), y: coordinate(point.subarray(1 + size)), d: coordinate(d) };
  } else {
    throw new SshFormatError(`unsupported private key type "${type}"`);
  }
  try {
    return createPrivateKey({ key: jwk, format: 'jwk' });
  } catch (err) {
    throw new SshFormatError(`invalid ${type} private key: ${(err as Error).message}`);
  }
}

/** Reads OpenSSH's RSA private fields (n, e, d, iqmp, p, q) into a JWK, deriving the CRT exponents. */
function rsaJwk(reader: SshReader): JsonWebKey {
  const [n, e, d, iqmp, p, q] = [reader.mpint(), reader.mpint(), reader.mpint(), reader.mpint(), reader.mpint(), reader.mpint()];
  const big = (bytes: Buffer) => BigInt(`0x${bytes.toString('hex') || '0'}`);
  const bytesOf = (value: bigint) => {
    const hex = value.toString(16);
    return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex').toString('base64url');
  };
  const dValue = big(d);
  return {
    kty: 'RSA',
    n: n.toString('base64url'),
    e: e.toString('base64url'),
    d: d.toString('base64url'),
    p: p.toString('base64url'),
    q: q.toString('base64url'),
    dp: bytesOf(dValue % (big(p) - 1n)),
    dq: bytesOf(dValue % (big(q) - 1n)),
    qi: iqmp.toString('base64url'),
  };
}

/**
 * Writes an Ed25519 private key in OpenSSH's format, unencrypted, the form
 * Vault returns for Ed25519 keys and the only one OpenSSH reads them in.
 */
export function openSshEd25519PrivateKey(privateKey: KeyObject, comment = ''): string {
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const publicPoint = Buffer.from(jwk.x ?? '', 'base64url');
  const publicBlob = new SshWriter().string('ssh-ed25519').string(publicPoint).toBuffer();

  const check = randomBytes(4).readUInt32BE();
  const section = new SshWriter().uint32(check).uint32(check).string('ssh-ed25519').string(publicPoint);
  section.string(Buffer.concat([seed, publicPoint])).string(comment);
  const unpadded = section.toBuffer();
  // The private section is padded with 1, 2, 3, ... to the cipher block size, 8 for "none".
  const padding = Buffer.from(Array.from({ length: (8 - (unpadded.length % 8)) % 8 }, (_, index) => index + 1));

  const body = new SshWriter().raw(OPENSSH_MAGIC).string('none').string('none').string('').uint32(1).string(publicBlob);
  body.string(Buffer.concat([unpadded, padding]));
  const lines = body.toBuffer().toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/**
 * Writes a private key as PEM in the form Vault uses for its type: PKCS#1
 * for RSA, SEC1 for ECDSA, OpenSSH's format for Ed25519.
 */
export function privateKeyPem(privateKey: KeyObject): string {
  if (privateKey.asymmetricKeyType === 'rsa') return privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  if (privateKey.asymmetricKeyType === 'ec') return privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  return openSshEd25519PrivateKey(privateKey);
}

const generatePair = promisify(generateKeyPair);

/** The key type to generate and, for RSA, its modulus length. */
export interface KeySpec {
  type: SshKeyType;
  rsaBits: number;
}

/** Generates a key pair on libuv's thread pool, so RSA generation does not block the event loop. */
export async function generateSshKeyPair(spec: KeySpec): Promise<SshKeyPair> {
  let privateKey: KeyObject;
  if (spec.type === 'ssh-rsa') {
    ({ privateKey } = await generatePair('rsa', { modulusLength: spec.rsaBits, publicExponent: 0x10001 }));
  } else if (spec.type === 'ssh-ed25519') {
    ({ privateKey } = await generatePair('ed25519', {}));
  } else {
    const namedCurve = { 'ecdsa-sha2-nistp256': 'P-256', 'ecdsa-sha2-nistp384': 'P-384', 'ecdsa-sha2-nistp521': 'P-521' }[spec.type];
    ({ privateKey } = await generatePair('ec', { namedCurve }));
  }
  return { privateKey, publicKey: sshPublicKeyOf(privateKey) };
}

/**
 * Signs `data` and returns the SSH signature blob (algorithm name, then the
 * signature). `rsaAlgorithm` picks the hash of an RSA key and must be
 * undefined for other key types.
 */
export function sshSign(pair: SshKeyPair, data: Buffer, rsaAlgorithm?: RsaSignatureAlgorithm): Buffer {
  const type = pair.publicKey.type;
  if (type === 'ssh-rsa') {
    const algorithm = rsaAlgorithm ?? 'rsa-sha2-256';
    return new SshWriter().string(algorithm).string(sign(RSA_HASHES[algorithm], data, pair.privateKey)).toBuffer();
  }
  if (type === 'ssh-ed25519') {
    return new SshWriter().string(type).string(sign(null, data, pair.privateKey)).toBuffer();
  }
  const raw = sign(ECDSA_HASHES[type]!, data, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' });
  const half = raw.length / 2;
  const point = new SshWriter().mpint(raw.subarray(0, half)).mpint(raw.subarray(half)).toBuffer();
  return new SshWriter().string(type).string(point).toBuffer();
}
