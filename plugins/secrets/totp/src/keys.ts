/**
 * The stored form of a key. Each key is one JSON entry at `key/<name>` in
 * the mount's storage view, which the server's barrier encrypts.
 */
import { internalError, type Storage } from '@coffer/sdk';
import { decodeBase32, isAlgorithm, isDigits, type Algorithm, type Digits } from './otp.js';

const KEY_PREFIX = 'key/';

/** A key and its settings. */
export interface TotpKey {
  /** The shared secret as unpadded uppercase base32. */
  key: string;
  issuer: string;
  account_name: string;
  /** Seconds per time step. */
  period: number;
  algorithm: Algorithm;
  digits: Digits;
  /** Time steps accepted on either side of the current one when validating: 0 or 1. */
  skew: number;
}

/** Reads a key, or returns null when none has that name. */
export async function readKey(storage: Storage, name: string): Promise<TotpKey | null> {
  const entry = await storage.get(KEY_PREFIX + name);
  if (entry === null) return null;

  // A damaged entry fails the request rather than yield codes from a wrong key.
  const stored = parseEntry(entry.value);
  if (stored === null) throw internalError(`stored key "${name}" is damaged`);
  return stored;
}

/**
 * Parses and checks a stored entry. Returns null for a damaged one, because
 * a JSON.parse error quotes the input, which contains the key.
 */
function parseEntry(value: Buffer): TotpKey | null {
  let stored: TotpKey;
  try {
    stored = JSON.parse(value.toString('utf8')) as TotpKey;
  } catch {
    return null;
  }
  const valid =
    typeof stored === 'object' &&
    stored !== null &&
    typeof stored.key === 'string' &&
    typeof stored.issuer === 'string' &&
    typeof stored.account_name === 'string' &&
    isAlgorithm(stored.algorithm) &&
    isDigits(stored.digits) &&
    Number.isSafeInteger(stored.period) &&
    stored.period > 0 &&
    (stored.skew === 0 || stored.skew === 1) &&
    !('problem' in decodeBase32(stored.key));
  return valid ? stored : null;
}

/** Returns the key's secret as bytes. */
export function secretOf(stored: TotpKey): Buffer {
  const decoded = decodeBase32(stored.key);
  if ('problem' in decoded) throw internalError('stored key is damaged');
  return decoded.bytes;
}

/** Writes a key, replacing any key of the same name. */
export async function writeKey(storage: Storage, name: string, key: TotpKey): Promise<void> {
  await storage.put({ key: KEY_PREFIX + name, value: Buffer.from(JSON.stringify(key), 'utf8') });
}

/** Deletes a key; deleting a missing key succeeds. */
export async function deleteKey(storage: Storage, name: string): Promise<void> {
  await storage.delete(KEY_PREFIX + name);
}

/** Returns the names of all keys, sorted. */
export async function listKeys(storage: Storage): Promise<string[]> {
  return storage.list(KEY_PREFIX);
}
