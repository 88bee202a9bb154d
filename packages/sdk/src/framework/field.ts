/**
 * Field declarations and their parsing. A path's fields drive validation,
 * help and OpenAPI, and give handlers typed values, so handlers never cast.
 *
 * Conversion is weak in the way Vault's field parser is: a number may be
 * sent as a string and a boolean as `"true"`, because CLI clients send
 * everything as strings.
 */
import { MAX_DURATION, tryParseDuration } from '../duration.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseJson, stringifyJson } from '../json.js';

/** The types a field can declare. */
export interface FieldTypes {
  string: string;
  /** Lowercased on parsing. */
  lowercase_string: string;
  /** A name: letters, digits, `-`, `_` and `.`. */
  name: string;
  int: number;
  bool: boolean;
  /** Seconds, from an integer or a Go duration string such as `90m`; at most MAX_DURATION_SECONDS. */
  duration: number;
  /** A JSON object. */
  map: Record<string, unknown>;
  /** A list of strings, sent as an array or a comma-separated string. */
  comma_string_slice: string[];
  /**
   * A list of strings, sent as an array or as one string that becomes the
   * only element, as Vault's `TypeStringSlice`. Use it for values that may
   * contain commas, such as SQL statements.
   */
  string_slice: string[];
  /**
   * String-valued pairs, sent as an object or as `key=value` strings. Numbers
   * and booleans in an object become strings, and null values are dropped.
   */
  kv_pairs: Record<string, string>;
}

export type FieldType = keyof FieldTypes;

/** One declared field of a path. */
export interface FieldSchema<T extends FieldType = FieldType> {
  type: T;
  description: string;
  default?: FieldTypes[T];
  required?: boolean;
  /** The allowed values, for enumerations; anything else is rejected. */
  allowedValues?: readonly FieldTypes[T][];
  /**
   * For a duration: the error, without the field name, for a value longer
   * than MAX_DURATION_SECONDS, for a path that words its own limit. It gets
   * the value as sent and its length in seconds. Such a value is rejected
   * either way; without this the error names the maximum, 2562047h47m16s.
   */
  tooLong?: (raw: unknown, seconds: number) => string;
}

export type FieldMap = Record<string, FieldSchema>;

/** The parsed value type of each field in `F`. */
export type FieldValues<F extends FieldMap> = {
  [K in keyof F]: FieldTypes[F[K]['type']];
};

const ZERO_VALUES: { [T in FieldType]: () => FieldTypes[T] } = {
  string: () => '',
  lowercase_string: () => '',
  name: () => '',
  int: () => 0,
  bool: () => false,
  duration: () => 0,
  map: () => ({}),
  comma_string_slice: () => [],
  string_slice: () => [],
  kv_pairs: () => ({}),
};

const NAME_PATTERN = /^[\w.-]+$/;

/**
 * Converts a raw value to the field's type. Returns the value, or an error
 * message that names the problem without the field name. `tooLong` is the
 * field's own message for a duration past the maximum, if it has one.
 */
export function convertField(type: FieldType, raw: unknown, tooLong?: FieldSchema['tooLong']): { value: unknown } | { error: string } {
  switch (type) {
    case 'string':
    case 'lowercase_string':
    case 'name': {
      let text: string;
      if (typeof raw === 'string') text = raw;
      else if (typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'boolean') text = String(raw);
      else return { error: `expected a string, got ${describe(raw)}` };
      if (type === 'lowercase_string') text = text.toLowerCase();
      if (type === 'name' && !NAME_PATTERN.test(text)) {
        return { error: `"${text}" is not a valid name: use letters, digits, "-", "_" and "."` };
      }
      return { value: text };
    }
    case 'int': {
      const digits = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? raw.trim() : undefined;
      if (typeof raw === 'bigint') return { error: tooLarge(raw) };
      if (digits !== undefined && !Number.isSafeInteger(Number(digits))) return { error: tooLarge(digits) };
      const number = digits !== undefined ? Number(digits) : raw;
      if (typeof number !== 'number' || !Number.isInteger(number)) {
        return { error: `expected an integer, got ${describe(raw)}` };
      }
      return { value: number };
    }
    case 'bool': {
      if (typeof raw === 'boolean') return { value: raw };
      if (raw === 'true' || raw === '1' || raw === 1) return { value: true };
      if (raw === 'false' || raw === '0' || raw === 0 || raw === '') return { value: false };
      return { error: `expected a boolean, got ${describe(raw)}` };
    }
    case 'duration': {
      const parsed = tryParseDuration(raw);
      if (parsed.problem === 'too_long') {
        return { error: tooLong?.(raw, parsed.seconds) ?? `${stringifyJson(raw)} is longer than the maximum of ${MAX_DURATION}: use a shorter duration` };
      }
      if (parsed.problem === 'invalid') {
        return { error: `expected a duration such as 30, "30s", "90m" or "1h", got ${describe(raw)}` };
      }
      return { value: parsed.seconds };
    }
    case 'map': {
      if (isPlainObject(raw)) return { value: raw };
      if (typeof raw === 'string') {
        let parsed: unknown;
        try {
          parsed = parseJson(raw);
        } catch {
          // Fall through to the error below.
        }
        // A request body gets this check when it is read, but JSON inside a string escapes it.
        if (isPlainObject(parsed) && nestsDeeperThan(parsed, MAX_JSON_DEPTH)) {
          return { error: `JSON nesting is deeper than the limit of ${MAX_JSON_DEPTH} levels` };
        }
        if (isPlainObject(parsed)) return { value: parsed };
      }
      return { error: `expected an object, got ${describe(raw)}` };
    }
    case 'comma_string_slice': {
      if (typeof raw === 'string') {
        return { value: raw.split(',').map((item) => item.trim()).filter((item) => item !== '') };
      }
      if (Array.isArray(raw) && raw.every((item) => typeof item === 'string' || typeof item === 'number' || typeof item === 'bigint')) {
        return { value: raw.map((item) => String(item).trim()) };
      }
      return { error: `expected a list of strings or a comma-separated string, got ${describe(raw)}` };
    }
    case 'string_slice': {
      if (typeof raw === 'string') return { value: raw.trim() === '' ? [] : [raw] };
      if (Array.isArray(raw) && raw.every((item) => typeof item === 'string')) return { value: [...raw] };
      return { error: `expected a string or a list of strings, got ${describe(raw)}` };
    }
    case 'kv_pairs': {
      // Numbers and booleans in an object become strings, as Vault's weak decoding of its key-value type makes them.
      if (isPlainObject(raw) && Object.values(raw).every((item) => item === null || ['string', 'number', 'boolean'].includes(typeof item))) {
        const pairs: Record<string, string> = {};
        for (const [key, item] of Object.entries(raw)) if (item !== null) pairs[key] = String(item);
        return { value: pairs };
      }
      const items = typeof raw === 'string' ? [raw] : raw;
      if (Array.isArray(items) && items.every((item) => typeof item === 'string' && item.includes('='))) {
        const pairs: Record<string, string> = {};
        for (const item of items as string[]) {
          const separator = item.indexOf('=');
          pairs[item.slice(0, separator)] = item.slice(separator + 1);
        }
        return { value: pairs };
      }
      return { error: `expected an object of strings or a list of "key=value" strings, got ${describe(raw)}` };
    }
  }
}

/** Returns the zero value of a type, used when a field is absent and has no default. */
export function zeroValue<T extends FieldType>(type: T): FieldTypes[T] {
  return ZERO_VALUES[type]();
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Returns the error for an integer past `Number.MAX_SAFE_INTEGER`. Request
 * bodies keep such an integer exact as a bigint, and a field that takes a
 * number could only round it.
 */
function tooLarge(value: bigint | string): string {
  const limit = Number.MAX_SAFE_INTEGER;
  return `the number ${String(value).trim()} is too large: expected an integer from -${limit} to ${limit}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'bigint') return `number ${value}`;
  return `${typeof value} ${String(value)}`;
}
