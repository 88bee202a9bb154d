/**
 * Consistency checks on imported RSA and EC keys. Node.js (OpenSSL) parses a
 * PKCS#8 key without checking that its parts belong together. It would
 * store an RSA key with public exponent 1, or one whose modulus is not the
 * product of its primes, and an EC key whose embedded public point is not
 * its private scalar's. Such a key leaks what it encrypts or signs what its
 * public key does not verify, so import rejects it. Vault's Go parser
 * rejects the RSA cases too (`x509.ParsePKCS1PrivateKey` calls
 * `rsa.PrivateKey.Validate`), and derives an EC public point from the scalar.
 */
import { createECDH, type JsonWebKey, type KeyObject } from 'node:crypto';
import { invalidField } from '../errors.js';

/** The largest RSA public exponent Go's crypto/rsa accepts, 2^31 - 1. */
const MAX_RSA_EXPONENT = 2n ** 31n - 1n;

/**
 * Checks an RSA public key: an odd modulus and an odd public exponent
 * from 3 to 2^31 - 1.
 * @throws CofferError (400) on `field` naming the problem.
 */
export function checkRsaPublicKey(key: KeyObject, field: string): void {
  const jwk = key.export({ format: 'jwk' });
  checkRsaPublicParts(bigIntOf(jwk.n), bigIntOf(jwk.e), field);
}

/**
 * Checks that the parts of an RSA private key belong together: the public
 * checks of {@link checkRsaPublicKey}, two primes whose product is the
 * modulus, a private exponent that inverts the public one modulo each
 * prime minus one, and the CRT values that OpenSSL signs and decrypts with.
 * @throws CofferError (400) on `field` naming the problem, never a value.
 */
export function checkRsaPrivateKey(key: KeyObject, field: string): void {
  const jwk = key.export({ format: 'jwk' });
  const n = bigIntOf(jwk.n);
  const e = bigIntOf(jwk.e);
  checkRsaPublicParts(n, e, field);

  const parts = [jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map(bigIntOf);
  // Bounded first, so that a crafted key cannot make the products below slow.
  if (parts.some((part) => part >= n)) {
    throw invalidField(field, 'the unwrapped RSA key is inconsistent: one of its private values is not smaller than its modulus');
  }
  const [d, p, q, dp, dq, qi] = parts;
  if (p <= 1n || q <= 1n || p * q !== n) {
    throw invalidField(field, 'the unwrapped RSA key is inconsistent: its modulus is not the product of its two primes');
  }
  if ((d * e) % (p - 1n) !== 1n || (d * e) % (q - 1n) !== 1n) {
    throw invalidField(field, 'the unwrapped RSA key is inconsistent: its private exponent does not match its public exponent');
  }
  if (dp !== d % (p - 1n) || dq !== d % (q - 1n) || (qi * q) % p !== 1n) {
    throw invalidField(field, 'the unwrapped RSA key is inconsistent: its CRT exponents or coefficient do not match its primes');
  }
}

/**
 * Checks that the public point of an EC private key is its private scalar
 * times the curve's base point, and that the scalar is in range.
 * @throws CofferError (400) on `field` naming the problem, never a value.
 */
export function checkEcPrivateKey(key: KeyObject, field: string): void {
  const jwk = key.export({ format: 'jwk' });
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === undefined || jwk.d === undefined || jwk.x === undefined || jwk.y === undefined) {
    throw invalidField(field, 'the unwrapped EC key lacks its curve, private scalar or public point');
  }
  const ecdh = createECDH(curve);
  try {
    ecdh.setPrivateKey(Buffer.from(jwk.d, 'base64url'));
  } catch {
    throw invalidField(field, 'the unwrapped EC key has a private scalar out of range for its curve');
  }
  const derived = ecdh.getPublicKey();
  const embedded = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  if (!derived.equals(embedded)) {
    throw invalidField(field, 'the unwrapped EC key is inconsistent: its public key is not the one of its private scalar');
  }
}

function checkRsaPublicParts(n: bigint, e: bigint, field: string): void {
  const subject = field === 'public_key' ? 'the RSA public key' : 'the unwrapped RSA key';
  if (n % 2n === 0n) throw invalidField(field, `${subject} has an even modulus, which no two odd primes make`);
  if (e < 3n || e % 2n === 0n) throw invalidField(field, `${subject} has public exponent ${e}: it must be odd and at least 3, such as 65537`);
  if (e > MAX_RSA_EXPONENT) throw invalidField(field, `${subject} has a public exponent above 2^31 - 1, which Vault rejects too: use a common one such as 65537`);
}

/** Reads a base64url JWK integer. A missing one reads as 0, which every check rejects. */
function bigIntOf(value: JsonWebKey[string]): bigint {
  if (typeof value !== 'string' || value === '') return 0n;
  return BigInt(`0x${Buffer.from(value, 'base64url').toString('hex')}`);
}
