/**
 * Named keys of identity tokens: key pairs, JWT signing and rotation, as
 * Vault's `identity/oidc/key` keys behave. Each named key contains a signing
 * key and the next signing key, both published ahead of use, plus the public
 * halves of rotated keys until their verification TTL ends.
 *
 * Key pairs come from `crypto.generateKeyPair`, which runs on the thread
 * pool, so RSA generation does not block the event loop.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomUUID, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

/** The signing algorithms Vault's identity tokens support, in Vault's order. */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type OidcAlgorithm = (typeof OIDC_ALGORITHMS)[number];

export function isOidcAlgorithm(value: string): value is OidcAlgorithm {
  return (OIDC_ALGORITHMS as readonly string[]).includes(value);
}

/** A public key as the JWKS endpoint publishes it. */
export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: OidcAlgorithm;
  use: 'sig';
}

/** A key pair; the private key is PKCS#8 PEM and reaches storage only through the barrier. */
export interface SigningKey {
  kid: string;
  privateKeyPem: string;
}

/** A public key in a named key's key ring. */
export interface RingKey {
  jwk: PublicJwk;
  /** Unix milliseconds after which the key is no longer published; 0 while it signs or is next to sign. */
  expireAt: number;
}

export interface NamedKey {
  name: string;
  algorithm: OidcAlgorithm;
  /** Seconds between automatic rotations. */
  rotationPeriod: number;
  /** Seconds a rotated public key stays published. */
  verificationTtl: number;
  /** Client IDs of the roles that may sign with the key; `*` allows all. */
  allowedClientIds: string[];
  signingKey: SigningKey;
  /** Published before it signs, so verifiers that cache the JWKS already know it after a rotation. */
  nextSigningKey: SigningKey;
  keyRing: RingKey[];
  /** Unix milliseconds of the next automatic rotation. */
  nextRotation: number;
}

const HASHES: Record<OidcAlgorithm, string | null> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  EdDSA: null,
};

const CURVES: Partial<Record<OidcAlgorithm, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** 2048-bit RSA, the size Vault generates. */
const RSA_MODULUS_BITS = 2048;

async function generatePair(algorithm: OidcAlgorithm): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (algorithm === 'EdDSA') return generateKeyPairAsync('ed25519');
  const curve = CURVES[algorithm];
  if (curve !== undefined) return generateKeyPairAsync('ec', { namedCurve: curve });
  return generateKeyPairAsync('rsa', { modulusLength: RSA_MODULUS_BITS });
}

/** Generates a key pair for `algorithm` and returns it with its public JWK. */
export async function generateSigningKey(algorithm: OidcAlgorithm): Promise<{ key: SigningKey; ring: RingKey }> {
  const { privateKey, publicKey } = await generatePair(algorithm);
  const kid = randomUUID();
  const jwk: PublicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: algorithm, use: 'sig' };
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { key: { kid, privateKeyPem }, ring: { jwk, expireAt: 0 } };
}

/** The parsed private signing key of each named key, so a PEM is parsed once per rotation. */
const privateKeyCache = new Map<string, { kid: string; privateKey: KeyObject }>();

function privateKeyOf(key: NamedKey): KeyObject {
  const cached = privateKeyCache.get(key.name);
  if (cached !== undefined && cached.kid === key.signingKey.kid) return cached.privateKey;
  const privateKey = createPrivateKey(key.signingKey.privateKeyPem);
  privateKeyCache.set(key.name, { kid: key.signingKey.kid, privateKey });
  return privateKey;
}

/** Drops the parsed private keys, at seal, so no key material stays in memory while sealed. */
export function forgetPrivateKeys(): void {
  privateKeyCache.clear();
}

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

/** Signs `claims` as a compact JWS with the key's current signing key. */
export function signJwt(key: NamedKey, claims: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ alg: key.algorithm, kid: key.signingKey.kid, typ: 'JWT' }));
  const payload = base64url(JSON.stringify(claims));
  const input = Buffer.from(`${header}.${payload}`);
  const privateKey = privateKeyOf(key);
  // JWS wants ECDSA signatures as r || s (IEEE P1363), not DER (RFC 7518, section 3.4).
  const signature = key.algorithm.startsWith('ES')
    ? sign(HASHES[key.algorithm], input, { key: privateKey, dsaEncoding: 'ieee-p1363' })
    : sign(HASHES[key.algorithm], input, privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
}

/** Returns true when `signature` over `input` verifies with the published key `jwk`. */
export function verifyJws(jwk: PublicJwk, input: Buffer, signature: Buffer): boolean {
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  try {
    if (jwk.alg.startsWith('ES')) return verify(HASHES[jwk.alg], input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    return verify(HASHES[jwk.alg], input, publicKey, signature);
  } catch {
    // A signature of the wrong length or form is an invalid signature, not a server error.
    return false;
  }
}

/** Returns true when the key lets the role with `clientId` sign. */
export function allowsClient(key: NamedKey, clientId: string): boolean {
  return key.allowedClientIds.includes('*') || key.allowedClientIds.includes(clientId);
}

/** Creates a named key with a signing key and a next signing key. */
export async function createNamedKey(
  settings: Pick<NamedKey, 'name' | 'algorithm' | 'rotationPeriod' | 'verificationTtl' | 'allowedClientIds'>,
  now: number,
): Promise<NamedKey> {
  const current = await generateSigningKey(settings.algorithm);
  const next = await generateSigningKey(settings.algorithm);
  return {
    ...settings,
    signingKey: current.key,
    nextSigningKey: next.key,
    keyRing: [current.ring, next.ring],
    nextRotation: now + settings.rotationPeriod * 1000,
  };
}

/**
 * Returns `key` with new signing keys for a changed algorithm. The old pair
 * stays published for the verification TTL, as after a rotation.
 */
export async function replaceAlgorithm(key: NamedKey, algorithm: OidcAlgorithm, now: number): Promise<NamedKey> {
  const current = await generateSigningKey(algorithm);
  const next = await generateSigningKey(algorithm);
  const retired = new Set([key.signingKey.kid, key.nextSigningKey.kid]);
  const expireAt = now + key.verificationTtl * 1000;
  return {
    ...key,
    algorithm,
    signingKey: current.key,
    nextSigningKey: next.key,
    keyRing: [...key.keyRing.map((ring) => (retired.has(ring.jwk.kid) ? { ...ring, expireAt } : ring)), current.ring, next.ring],
  };
}

/**
 * Returns `key` rotated at `now`: the next signing key signs from now on, a
 * new next key is made, and the retired signing key stays published for
 * `verificationTtl` seconds (the key's own unless overridden).
 */
export async function rotateNamedKey(key: NamedKey, now: number, verificationTtl = key.verificationTtl): Promise<NamedKey> {
  const next = await generateSigningKey(key.algorithm);
  const retiredKid = key.signingKey.kid;
  const expireAt = now + verificationTtl * 1000;
  return {
    ...key,
    signingKey: key.nextSigningKey,
    nextSigningKey: next.key,
    keyRing: [...key.keyRing.map((ring) => (ring.jwk.kid === retiredKid ? { ...ring, expireAt } : ring)), next.ring],
    nextRotation: now + key.rotationPeriod * 1000,
  };
}

/** Returns true while a ring key is published at `now`. */
export function isPublished(ring: RingKey, now: number): boolean {
  return ring.expireAt === 0 || ring.expireAt > now;
}

/** Returns `key` without the ring keys whose verification TTL has ended, or undefined when none has. */
export function withoutExpiredKeys(key: NamedKey, now: number): NamedKey | undefined {
  const published = key.keyRing.filter((ring) => isPublished(ring, now));
  return published.length === key.keyRing.length ? undefined : { ...key, keyRing: published };
}

/** Returns the earliest time at which `key` needs automatic work: a rotation or an expiry. */
export function nextDueTime(key: NamedKey): number {
  let due = key.nextRotation;
  for (const ring of key.keyRing) {
    if (ring.expireAt !== 0 && ring.expireAt < due) due = ring.expireAt;
  }
  return due;
}
