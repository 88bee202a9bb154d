/**
 * The parameter constraints of a policy rule: `required_parameters`,
 * `allowed_parameters` and `denied_parameters`, checked the way Vault 1.21
 * and later check them (vault/acl.go). A list value passes `allowed` only if
 * each element is allowed and fails `denied` if any element is denied, and a
 * string value is also read as a comma-separated list.
 */
import { isDeepStrictEqual } from 'node:util';

/** Parameter names, lower-cased, mapped to their permitted or forbidden values. An empty list means any value. */
export type ParameterValues = ReadonlyMap<string, readonly unknown[]>;

export interface ParameterConstraints {
  allowedParameters?: ParameterValues;
  deniedParameters?: ParameterValues;
  requiredParameters: readonly string[];
}

/** The key that stands for every parameter. */
export const ANY_PARAMETER = '*';

/**
 * Checks a request's parameters. Returns `undefined` when they pass, or the
 * reason for the denial, which names a parameter but never a value.
 */
export function checkParameters(constraints: ParameterConstraints, data: Record<string, unknown>): string | undefined {
  for (const name of constraints.requiredParameters) {
    // Vault lower-cases the required name but not the request's keys.
    if (!Object.hasOwn(data, name.toLowerCase())) return `missing required parameter "${name}"`;
  }

  const names = Object.keys(data);
  if (names.length === 0) return undefined;

  const denied = constraints.deniedParameters;
  if (denied !== undefined) {
    if (denied.has(ANY_PARAMETER)) return 'every parameter is denied';
    for (const name of names) {
      const values = denied.get(name.toLowerCase());
      if (values !== undefined && isDenied(data[name], values)) return `parameter "${name}" is denied`;
    }
  }

  const allowed = constraints.allowedParameters;
  if (allowed === undefined) return undefined;
  const allowsAny = allowed.has(ANY_PARAMETER);
  if (allowsAny && allowed.size === 1) return undefined;

  for (const name of names) {
    const values = allowed.get(name.toLowerCase());
    if (values === undefined) {
      if (allowsAny) continue;
      return `parameter "${name}" is not allowed`;
    }
    if (!isAllowed(data[name], values)) return `a value of parameter "${name}" is not allowed`;
  }
  return undefined;
}

/**
 * Compares a policy value with a request value. A policy string may start
 * and/or end with `*` to match a suffix, a prefix or a substring, as Vault's
 * strutil.GlobbedStringsMatch does. A one-character string matches only
 * itself, so `"*"` alone is not a wildcard. Other values match by equality.
 * NOTE: Vault compares numbers by Go type, so a policy number never equals a
 * JSON number there; Coffer compares the values, so `[300]` allows 300.
 */
export function valueMatches(pattern: unknown, value: unknown): boolean {
  if (pattern === null || value === null) return pattern === value;
  if (typeof pattern === 'string') return typeof value === 'string' && globMatches(pattern, value);
  return isDeepStrictEqual(pattern, value);
}

function globMatches(pattern: string, value: string): boolean {
  if (pattern.length < 2) return pattern === value;
  const leading = pattern.startsWith('*');
  const trailing = pattern.endsWith('*');
  if (leading && trailing) return value.includes(pattern.slice(1, -1));
  if (leading) return value.endsWith(pattern.slice(1));
  if (trailing) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

function inList(value: unknown, list: readonly unknown[]): boolean {
  return list.some((pattern) => valueMatches(pattern, value));
}

/**
 * Returns the elements of a list value, or of a string read as a
 * comma-separated list with each element trimmed, as Vault's
 * parseutil.ParseCommaStringSlice reads it.
 */
function elementsOf(value: unknown): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string') return undefined;
  return value === '' ? [] : value.split(',').map((element) => element.trim());
}

/**
 * NOTE: an empty list or an empty string has no element to reject, so it
 * passes any allowed list, as in Vault 1.21.
 */
function isAllowed(value: unknown, list: readonly unknown[]): boolean {
  if (list.length === 0 || inList(value, list)) return true;
  const elements = elementsOf(value);
  return elements !== undefined && elements.every((element) => inList(element, list));
}

function isDenied(value: unknown, list: readonly unknown[]): boolean {
  if (list.length === 0 || inList(value, list)) return true;
  const elements = elementsOf(value);
  return elements !== undefined && elements.some((element) => inList(element, list));
}
