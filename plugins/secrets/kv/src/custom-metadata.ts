/**
 * Parsing and limits of `custom_metadata`, the user's string pairs stored
 * with a KV v2 key. The limits and messages are Vault's.
 */
import { badRequest } from '@coffer/sdk';
import { setOwn, type JsonObject } from './json.js';

export const MAX_CUSTOM_METADATA_KEYS = 64;
export const MAX_CUSTOM_METADATA_KEY_BYTES = 128;
export const MAX_CUSTOM_METADATA_VALUE_BYTES = 512;

const ERROR_PREFIX = 'custom_metadata validation failed';

// Go's unicode.IsPrint, which Vault applies: no control, format, private-use
// or unassigned characters, and no space other than U+0020.
const UNPRINTABLE = /\p{C}|(?! )\p{Z}/u;

/**
 * Converts a `custom_metadata` object to string pairs. Numbers (bigints too) and booleans
 * become strings, as Vault's weak decoding does. With `keepNulls`, a `null`
 * value stays `null`, because a PATCH uses it to remove a key.
 *
 * @throws CofferError (400) when a value is an object or an array.
 */
export function parseCustomMetadata(raw: JsonObject, keepNulls: boolean): Record<string, string | null> {
  const pairs: Record<string, string | null> = {};
  const problems: string[] = [];

  for (const [key, value] of Object.entries(raw)) {
    if (value === null || value === undefined) {
      setOwn(pairs, key, keepNulls ? null : '');
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
      setOwn(pairs, key, String(value));
    } else {
      const kind = Array.isArray(value) ? 'an array' : 'an object';
      problems.push(`${ERROR_PREFIX}: value for key "${key}" must be a string, got ${kind}`);
    }
  }

  if (problems.length > 0) throw badRequest(problems.join('; '));
  return pairs;
}

/**
 * Checks Vault's limits: at most 64 keys, keys of 1 to 128 bytes, values of
 * 1 to 512 bytes, and printable characters only.
 *
 * @throws CofferError (400) listing every problem found.
 */
export function checkCustomMetadata(pairs: Record<string, string | null>): void {
  const keys = Object.keys(pairs);
  if (keys.length > MAX_CUSTOM_METADATA_KEYS) {
    throw badRequest(`${ERROR_PREFIX}: payload must contain at most ${MAX_CUSTOM_METADATA_KEYS} keys, provided ${keys.length}`);
  }

  const problems: string[] = [];
  for (const key of keys) {
    const value = pairs[key];
    const keyBytes = Buffer.byteLength(key);
    if (keyBytes === 0 || keyBytes > MAX_CUSTOM_METADATA_KEY_BYTES) {
      problems.push(`${ERROR_PREFIX}: length of key "${key}" is ${keyBytes} but must be 0 < len(key) <= ${MAX_CUSTOM_METADATA_KEY_BYTES}`);
    }
    // A null value is a removal in a PATCH and has no length to check.
    if (value !== null) {
      const valueBytes = Buffer.byteLength(value);
      if (valueBytes === 0 || valueBytes > MAX_CUSTOM_METADATA_VALUE_BYTES) {
        const limit = MAX_CUSTOM_METADATA_VALUE_BYTES;
        problems.push(`${ERROR_PREFIX}: length of value for key "${key}" is ${valueBytes} but must be 0 < len(value) <= ${limit}`);
      }
      if (UNPRINTABLE.test(value)) problems.push(`${ERROR_PREFIX}: value for key "${key}" contains unprintable characters`);
    }
    if (UNPRINTABLE.test(key)) problems.push(`${ERROR_PREFIX}: key ${JSON.stringify(key)} contains unprintable characters`);
  }

  if (problems.length > 0) throw badRequest(problems.join('; '));
}

/** Returns the pairs to store: `null` when there are none, as Vault returns unset custom metadata. */
export function storedCustomMetadata(pairs: Record<string, string | null>): Record<string, string> | null {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(pairs)) {
    if (value !== null) setOwn(result, key, value);
  }
  return Object.keys(result).length === 0 ? null : result;
}
