/**
 * Password verifiers of the example database: scrypt with a random salt,
 * stored as `scrypt$<salt>$<hash>` in base64. A real database keeps its
 * own verifiers; the plugin then only passes the password in a statement.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

const KEY_BYTES = 32;

/** Returns a verifier for `password`. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${scryptSync(password, salt, KEY_BYTES).toString('base64')}`;
}

/** Returns whether `password` matches `verifier`, comparing in constant time. */
export function passwordMatches(password: string, verifier: string): boolean {
  const [scheme, salt, hash] = verifier.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}
