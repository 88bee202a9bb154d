/**
 * Consistency checks on imported RSA and EC keys. Node.js (OpenSSL) parses a
 * PKCS#8 key without checking that its parts belong together. It would
 * store an RSA key with public exponent 1, or one whose modulus is not the
 * product of its primes, and an EC key whose embedded public point is not
 * its private scalar's. Such a key leaks what it encrypts or signs what its
 * public key does not verify, so import and restore reject it. Vault's Go parser
 * rejects the RSA cases too (`x509.ParsePKCS1PrivateKey` calls
 * `rsa.PrivateKey.Validate`), and derives an EC public point from the scalar.
 */
import { createECDH, type JsonWebKey, type KeyObject } from 'node:crypto';

/** The largest RSA public exponent Go's crypto/rsa accepts, 2^31 - 1. */
const MAX_RSA_EXPONENT = 2n ** 31n - 1n;

/**
 * Checks an RSA public key: an odd modulus and an odd public exponent
 * from 3 to 2^31 - 1.
 * @returns what is wrong, as a predicate for a subject such as "the RSA
 *   public key", or null when the key passes.
 */
export function rsaPublicKeyProblem(key: KeyObject): string | null {
  const jwk = key.export({ format: 'jwk' });
  return rsaPublicPartsProblem(bigIntOf(jwk.n), bigIntOf(jwk.e));
}

/**
 * Checks that the parts of an RSA private key belong together: the public
 * checks of {@link rsaPublicKeyProblem}, two primes whose product is the
 * modulus, a private exponent that inverts the public one modulo each
 * prime minus one, and the CRT values that OpenSSL signs and decrypts with.
 * @returns what is wrong, naming no value of the key, or null when the key passes.
 */
export function rsaPrivateKeyProblem(key: KeyObject): string | null {
  const jwk = key.export({ format: 'jwk' });
  const n = bigIntOf(jwk.n);
  const e = bigIntOf(jwk.e);
  const publicProblem = rsaPublicPartsProblem(n, e);
  if (publicProblem !== null) return publicProblem;

  const parts = [jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map(bigIntOf);
  // Bounded first, so that a crafted key cannot make the products below slow.
  if (parts.some((part) => part >= n)) return 'is inconsistent: one of its private values is not smaller than its modulus';
  const [d, p, q, dp, dq, qi] = parts;
  if (p <= 1n || q <= 1n || p * q !== n) return 'is inconsistent: its modulus is not the product of its two primes';
  if ((d * e) % (p - 1n) !== 1n || (d * e) % (q - 1n) !== 1n) return 'is inconsistent: its private exponent does not match its public exponent';
  if (dp !== d % (p - 1n) || dq !== d % (q - 1n) || (qi * q) % p !== 1n) return 'is inconsistent: its CRT exponents or coefficient do not match its primes';
  return null;
}

/**
 * Checks that the public point of an EC private key is its private scalar
 * times the curve's base point, and that the scalar is in range.
 * @returns what is wrong, naming no value of the key, or null when the key passes.
 */
export function ecPrivateKeyProblem(key: KeyObject): string | null {
  const jwk = key.export({ format: 'jwk' });
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === undefined || jwk.d === undefined || jwk.x === undefined || jwk.y === undefined) {
    return 'lacks its curve, private scalar or public point';
  }
  const ecdh = createECDH(curve);
  try {
    ecdh.setPrivateKey(Buffer.from(jwk.d, 'base64url'));
  } catch {
    return 'has a private scalar out of range for its curve';
  }
  const derived = ecdh.getPublicKey();
  const embedded = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  return derived.equals(embedded) ? null : 'is inconsistent: its public key is not the one of its private scalar';
}

function rsaPublicPartsProblem(n: bigint, e: bigint): string | null {
  if (n % 2n === 0n) return 'has an even modulus, which no two odd primes make';
  if (e > MAX_RSA_EXPONENT) return 'has a public exponent above 2^31 - 1, which Vault rejects too: use a common one such as 65537';
  if (e < 3n || e % 2n === 0n) return `has public exponent ${e}: it must be odd and at least 3, such as 65537`;
  return null;
}

/** Reads a base64url JWK integer. A missing one reads as 0, which every check rejects. */
function bigIntOf(value: JsonWebKey[string]): bigint {
  if (typeof value !== 'string' || value === '') return 0n;
  return BigInt(`0x${Buffer.from(value, 'base64url').toString('hex')}`);
}
