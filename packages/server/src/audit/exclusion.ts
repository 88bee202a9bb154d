/**
 * The audit `exclude` option: a JSON array of `{ "condition", "fields" }`
 * objects. For an entry that matches a condition (every entry when the
 * condition is empty), the fields named by JSON pointers (RFC 6901) are
 * removed from the entry that device writes. Conditions are evaluated on the
 * entry's original fields, so one exclusion never changes whether another
 * matches.
 */
import { FilterExpressionError, parseFilterExpression, type AuditFilter, type AuditFilterFields } from './filter-expression.js';

export interface Exclusion {
  /** Absent when the exclusion applies to every entry. */
  condition?: AuditFilter;
  /** Decoded JSON pointers, each a list of reference tokens. */
  fields: string[][];
}

/** Raised for an `exclude` value that is not a valid list of exclusions. */
export class ExclusionError extends Error {}

/**
 * Parses the `exclude` option.
 * @throws ExclusionError naming the entry and the problem.
 */
export function parseExclusions(text: string): Exclusion[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ExclusionError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(parsed)) throw new ExclusionError('expected a JSON array of objects with "condition" and "fields"');
  return parsed.map((item, index) => parseExclusion(item, index));
}

function parseExclusion(item: unknown, index: number): Exclusion {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new ExclusionError(`entry ${index} is not an object`);
  const { condition, fields, ...rest } = item as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ExclusionError(`entry ${index} has unknown key "${unknown[0]}": use "condition" and "fields"`);

  if (condition !== undefined && typeof condition !== 'string') throw new ExclusionError(`entry ${index}: "condition" must be a string`);
  if (fields === undefined) throw new ExclusionError(`entry ${index}: missing "fields"`);
  if (!Array.isArray(fields) || fields.length === 0 || !fields.every((field) => typeof field === 'string')) {
    throw new ExclusionError(`entry ${index}: "fields" must be a non-empty list of JSON pointers`);
  }

  let compiled: AuditFilter | undefined;
  if (condition !== undefined && condition.trim() !== '') {
    try {
      compiled = parseFilterExpression(condition);
    } catch (err) {
      if (!(err instanceof FilterExpressionError)) throw err;
      throw new ExclusionError(`entry ${index}: invalid "condition": ${err.message}`);
    }
  }
  return { condition: compiled, fields: fields.map((field: string) => parsePointer(field, index)) };
}

/** Decodes an RFC 6901 pointer. The empty pointer names the whole entry, so it is rejected. */
function parsePointer(pointer: string, index: number): string[] {
  if (!pointer.startsWith('/')) throw new ExclusionError(`entry ${index}: invalid JSON pointer "${pointer}": it must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) throw new ExclusionError(`entry ${index}: invalid JSON pointer "${pointer}": "~" must be followed by "0" or "1"`);
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/**
 * Returns `entry` without the fields of every exclusion whose condition
 * matches `fields`. Objects on the way to a removed field are copied, never
 * changed, because a `log_raw` entry shares request data with the caller.
 */
export function applyExclusions<T extends object>(entry: T, fields: AuditFilterFields, exclusions: readonly Exclusion[]): T {
  let result: unknown = entry;
  for (const exclusion of exclusions) {
    if (exclusion.condition !== undefined && !exclusion.condition(fields)) continue;
    for (const pointer of exclusion.fields) result = removeAt(result, pointer, 0);
  }
  return result as T;
}

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** Removes the value at `pointer[depth..]` below `value`, or returns `value` itself when nothing is there. */
function removeAt(value: unknown, pointer: readonly string[], depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  const token = pointer[depth];
  const last = depth === pointer.length - 1;

  if (Array.isArray(value)) {
    if (!ARRAY_INDEX.test(token) || Number(token) >= value.length) return value;
    const position = Number(token);
    if (last) return [...value.slice(0, position), ...value.slice(position + 1)];
    const child = removeAt(value[position], pointer, depth + 1);
    if (child === value[position]) return value;
    const copy = [...value];
    copy[position] = child;
    return copy;
  }

  const record = value as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(record, token)) return value;
  if (last) {
    const { [token]: _removed, ...rest } = record;
    return rest;
  }
  const child = removeAt(record[token], pointer, depth + 1);
  return child === record[token] ? value : { ...record, [token]: child };
}
