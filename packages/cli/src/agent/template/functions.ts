// The functions templates may call besides `secret`: Go's text/template
// built-ins and the Consul Template helpers that Vault Agent templates use
// most. Each behaves as its Go counterpart for the values secrets hold.
import { stringifyJson } from '@coffer/sdk';
import type { TemplateFunction } from './execute.js';
import { FunctionError, SecretValue, formatValue, goType, isMap, isTrue, missingValue } from './execute.js';

/** Converts a value into what Go's encoding/json would marshal, with map keys sorted as Go sorts them. */
function toJsonValue(value: unknown): unknown {
  if (value === missingValue || value === undefined) return null;
  if (typeof value === 'bigint') return value;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value instanceof SecretValue) {
    const { secret } = value;
    return {
      RequestID: secret.request_id,
      LeaseID: secret.lease_id,
      LeaseDuration: secret.lease_duration,
      Renewable: secret.renewable,
      Data: toJsonValue(secret.data),
      Warnings: secret.warnings,
      Auth: secret.auth ?? null,
      WrapInfo: secret.wrap_info ?? null,
    };
  }
  if (isMap(value)) {
    // Object.fromEntries defines each key as an own property, so a "__proto__" key in a secret is kept, not taken as the prototype.
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, toJsonValue(value[key])]));
  }
  return value;
}

/** Marshals like Go's json.Marshal, which escapes <, > and & for HTML and keeps big integers exact. */
function marshalJson(value: unknown, indent?: string): string {
  const text = stringifyJson(toJsonValue(value), indent) ?? 'null';
  return text.replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function toNumber(value: unknown, verb: string): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean' && verb === 't') return value ? 1 : 0;
  return undefined;
}

/** Formats one printf verb; a value of the wrong type prints as Go prints it, %!d(string=x). */
function formatVerb(verb: string, value: unknown, precision: number | undefined, plus: boolean): string {
  const wrongType = (): string => `%!${verb}(${goType(value)}=${formatValue(value)})`;
  switch (verb) {
    case 'v':
      return formatValue(value);
    case 's': {
      const text = formatValue(value);
      return precision === undefined ? text : text.slice(0, precision);
    }
    case 'q':
      return typeof value === 'string' ? JSON.stringify(value) : wrongType();
    case 't':
      return typeof value === 'boolean' ? String(value) : wrongType();
    case 'd': {
      const number = toNumber(value, verb);
      if (number === undefined || !Number.isInteger(number)) return typeof value === 'bigint' ? value.toString() : wrongType();
      return `${plus && number >= 0 ? '+' : ''}${number}`;
    }
    case 'f': {
      // NOTE: toFixed takes at most 100 digits, so a precision from 101 to 1000000 fails the render where Go prints the digits.
      const number = toNumber(value, verb);
      return number === undefined ? wrongType() : `${plus && number >= 0 ? '+' : ''}${number.toFixed(precision ?? 6)}`;
    }
    case 'x':
    case 'X': {
      let text: string;
      if (typeof value === 'string') text = Buffer.from(value).toString('hex');
      else if (typeof value === 'number' && Number.isInteger(value)) text = value.toString(16);
      else return wrongType();
      return verb === 'X' ? text.toUpperCase() : text;
    }
    default:
      return `%!${verb}(${goType(value)}=${formatValue(value)})`;
  }
}

/** Largest width or precision Go's fmt takes (tooLarge in fmt/print.go); a larger one prints %!(BADWIDTH) or %!(BADPREC) and is ignored. */
const maxWidth = 1_000_000;

/** Pads `formatted` to `size`; zeros go after the sign, as Go writes -0003. */
function pad(formatted: string, size: number, flags: string, verb: string): string {
  if (formatted.length >= size) return formatted;
  if (flags.includes('-')) return formatted.padEnd(size);
  if (!flags.includes('0') || verb === 's') return formatted.padStart(size, ' ');
  const sign = /^[-+]/.test(formatted) ? formatted[0] : '';
  return sign + formatted.slice(sign.length).padStart(size - sign.length, '0');
}

/** Go's fmt.Sprintf for the verbs %v %s %q %d %f %t %x %X and %%, with width, precision and the - + 0 flags. */
export function sprintf(format: unknown, ...args: unknown[]): string {
  if (typeof format !== 'string') throw new FunctionError(`printf expects a format string first, got ${goType(format)}`);
  let next = 0;
  const text = format.replace(/%([-+0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (_match, flags: string, width: string | undefined, precision: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    let prefix = '';
    let size = width === undefined ? 0 : Number(width);
    if (size > maxWidth) {
      prefix += '%!(BADWIDTH)';
      size = 0;
    }
    let digits = precision === undefined ? undefined : Number(precision);
    if (digits !== undefined && digits > maxWidth) {
      prefix += '%!(BADPREC)';
      digits = undefined;
    }
    if (next >= args.length) return `${prefix}%!${verb}(MISSING)`;
    return prefix + pad(formatVerb(verb, args[next++], digits, flags.includes('+')), size, flags, verb);
  });
  if (next < args.length) return `${text}%!(EXTRA ${args.slice(next).map((arg) => `${goType(arg)}=${formatValue(arg)}`).join(', ')})`;
  return text;
}

/** Go's fmt.Sprint: a space between two operands when neither is a string. */
function sprint(...args: unknown[]): string {
  let text = '';
  args.forEach((arg, index) => {
    if (index > 0 && typeof arg !== 'string' && typeof args[index - 1] !== 'string') text += ' ';
    text += formatValue(arg);
  });
  return text;
}

function comparable(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  return value === missingValue ? null : value;
}

function compare(name: string, left: unknown, right: unknown): number {
  const a = comparable(left);
  const b = comparable(right);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return 0;
    return a < b ? -1 : 1;
  }
  throw new FunctionError(`${name} cannot compare ${goType(left)} with ${goType(right)}`);
}

function expectString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new FunctionError(`${name} expects a string, got ${goType(value)}`);
  return value;
}

/**
 * Decodes standard, padded base64 as Go's base64.StdEncoding does, which
 * ignores line breaks and rejects other input. Buffer.from skips invalid
 * characters, which would render a corrupted value in place of an error.
 * NOTE: the byte offset counts the input without its line breaks.
 */
function decodeBase64(text: string): string {
  const clean = text.replace(/[\r\n]/g, '');
  const invalid = clean.search(/[^A-Za-z0-9+/=]/);
  if (invalid !== -1) throw new FunctionError(`illegal base64 data at input byte ${invalid}`);
  const padding = clean.indexOf('=');
  if (padding !== -1 && (!/^={1,2}$/.test(clean.slice(padding)) || clean.length % 4 !== 0)) {
    throw new FunctionError(`illegal base64 data at input byte ${padding}`);
  }
  if (clean.length % 4 !== 0) throw new FunctionError(`illegal base64 data at input byte ${clean.length - (clean.length % 4)}`);
  return Buffer.from(clean, 'base64').toString('utf8');
}

/** The functions every template may call; the renderer adds `secret`. */
export const builtinFunctions: Record<string, TemplateFunction> = {
  printf: sprintf,
  print: sprint,
  println: (...args: unknown[]) => `${args.map(formatValue).join(' ')}\n`,
  toJSON: (value: unknown) => marshalJson(value),
  toJSONPretty: (value: unknown) => marshalJson(value, '  '),
  eq: (first: unknown, ...others: unknown[]) => {
    if (others.length === 0) throw new FunctionError('eq needs at least two arguments');
    return others.some((other) => comparable(first) === comparable(other));
  },
  ne: (left: unknown, right: unknown) => comparable(left) !== comparable(right),
  lt: (left: unknown, right: unknown) => compare('lt', left, right) < 0,
  le: (left: unknown, right: unknown) => compare('le', left, right) <= 0,
  gt: (left: unknown, right: unknown) => compare('gt', left, right) > 0,
  ge: (left: unknown, right: unknown) => compare('ge', left, right) >= 0,
  and: (...args: unknown[]) => args.find((arg) => !isTrue(arg)) ?? args[args.length - 1],
  or: (...args: unknown[]) => args.find((arg) => isTrue(arg)) ?? args[args.length - 1],
  not: (value: unknown) => !isTrue(value),
  len: (value: unknown) => {
    if (typeof value === 'string' || Array.isArray(value)) return value.length;
    if (isMap(value)) return Object.keys(value).length;
    throw new FunctionError(`len of ${goType(value)}`);
  },
  index: (collection: unknown, ...keys: unknown[]) => {
    let value = collection;
    for (const key of keys) {
      if (Array.isArray(value) && typeof key === 'number') {
        if (key < 0 || key >= value.length) throw new FunctionError(`index out of range: ${key}`);
        value = value[key];
      } else if (isMap(value) && typeof key === 'string') {
        value = Object.hasOwn(value, key) ? value[key] : missingValue;
      } else {
        throw new FunctionError(`can't index item of type ${goType(value)} with ${goType(key)}`);
      }
    }
    return value;
  },
  base64Encode: (value: unknown) => Buffer.from(expectString('base64Encode', value)).toString('base64'),
  base64Decode: (value: unknown) => decodeBase64(expectString('base64Decode', value)),
  toUpper: (value: unknown) => expectString('toUpper', value).toUpperCase(),
  toLower: (value: unknown) => expectString('toLower', value).toLowerCase(),
  trimSpace: (value: unknown) => expectString('trimSpace', value).trim(),
  // Consul Template's argument order, so that `{{ .list | join "," }}` works.
  join: (separator: unknown, list: unknown) => {
    if (!Array.isArray(list)) throw new FunctionError(`join expects a list, got ${goType(list)}`);
    return list.map(formatValue).join(expectString('join', separator));
  },
  split: (separator: unknown, value: unknown) => expectString('split', value).split(expectString('split', separator)),
  env: (name: unknown) => process.env[expectString('env', name)] ?? '',
};
