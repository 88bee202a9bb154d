/**
 * JSON serialization of response bodies. V8's `JSON.stringify` (Node.js 20)
 * checks each character of a string for escaping at about 2.5 ns, so a
 * 5.5 KB ciphertext took 14 us. A long string that needs no escaping can be
 * quoted as it is. In a micro-benchmark, a transit envelope with such a
 * ciphertext took 18 us with `JSON.stringify` and 5-6 us here.
 */
import { stringifyJson as stringifyExact } from '@coffer/sdk';

/** Strings shorter than this go to `JSON.stringify`, which is faster for them than the checks. */
const LONG_STRING = 1024;

/** Nesting deeper than this goes to `JSON.stringify`, which also reports cycles. */
const MAX_PLAIN_DEPTH = 64;

/**
 * The search for a long string visits at most this many values, because
 * a cycle with two references to one object would take exponential time.
 */
const MAX_SEARCHED_VALUES = 10_000;

/**
 * Serializes `value` to the text that `JSON.stringify(value)` returns,
 * except that a bigint (an integer past 2^53 from a request body) is
 * written as its digits. Bodies with a long string are serialized here.
 * When they contain anything but plain data (a `toJSON` method, a class
 * instance, deep nesting), the whole body goes to the SDK's serializer, and
 * getters of the properties walked so far run a second time.
 */
export function stringifyJson(value: unknown): string {
  if (!containsLongString(value, 0, { remaining: MAX_SEARCHED_VALUES })) return stringifyExact(value) as string;
  return stringifyPlain(value, 0) ?? (stringifyExact(value) as string);
}

/**
 * Returns true when arrays and plain objects nested in `value` contain a
 * long string, and false when the search exceeds its budget.
 */
function containsLongString(value: unknown, depth: number, budget: { remaining: number }): boolean {
  if (typeof value === 'string') return value.length >= LONG_STRING;
  if (value === null || typeof value !== 'object' || depth > MAX_PLAIN_DEPTH) return false;
  budget.remaining -= 1;
  if (budget.remaining < 0) return false;

  if (Array.isArray(value)) {
    for (const item of value) {
      if (containsLongString(item, depth + 1, budget)) return true;
    }
    return false;
  }
  // Only plain objects are searched, so a large Buffer is not walked byte by byte.
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  // for...in allocates no array of values; an inherited property only widens the search.
  for (const key in value) {
    if (containsLongString((value as Record<string, unknown>)[key], depth + 1, budget)) return true;
  }
  return false;
}

/** Serializes plain data, or returns undefined when `value` contains anything else. */
function stringifyPlain(value: unknown, depth: number): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quoteString(value);
    case 'number':
      // Non-finite numbers become null and -0 becomes 0, as JSON.stringify has it.
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (depth > MAX_PLAIN_DEPTH) return undefined;
  return Array.isArray(value) ? stringifyArray(value, depth) : stringifyObject(value as object, depth);
}

function stringifyArray(array: unknown[], depth: number): string | undefined {
  if (Object.getPrototypeOf(array) !== Array.prototype || hasToJson(array)) return undefined;
  const parts: string[] = [];
  for (const item of array) {
    // JSON.stringify writes null for an element it cannot represent.
    const text = isOmitted(item) ? 'null' : stringifyPlain(item, depth + 1);
    if (text === undefined) return undefined;
    parts.push(text);
  }
  return `[${parts.join(',')}]`;
}

function stringifyObject(object: object, depth: number): string | undefined {
  const prototype = Object.getPrototypeOf(object);
  if ((prototype !== Object.prototype && prototype !== null) || hasToJson(object)) return undefined;
  const parts: string[] = [];
  // Object.keys lists enumerable own string keys in JSON.stringify's order.
  for (const key of Object.keys(object)) {
    const item = (object as Record<string, unknown>)[key];
    if (isOmitted(item)) continue;
    const text = stringifyPlain(item, depth + 1);
    if (text === undefined) return undefined;
    parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

/** Returns true for the values JSON.stringify leaves out of an object. */
function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * Quotes a string as JSON.stringify does. A long string that is all ASCII,
 * without quotes or backslashes, needs escaping only for control
 * characters, and JSON.parse, which scans strings far faster, rejects those.
 */
function quoteString(text: string): string {
  if (text.length >= LONG_STRING && Buffer.byteLength(text, 'utf8') === text.length && !text.includes('"') && !text.includes('\\')) {
    const quoted = `"${text}"`;
    try {
      JSON.parse(quoted);
      return quoted;
    } catch {
      // A control character: JSON.stringify escapes it below.
    }
  }
  return JSON.stringify(text);
}
