/**
 * Field declarations and value checks shared by the KV v2 paths.
 */
import { badRequest, formatDuration, stringifyJson, type FieldSchema } from '@coffer/sdk';
import { isJsonObject } from './json.js';
import { MAX_DELETE_VERSION_AFTER_SECONDS } from './metadata.js';
import { MAX_PATH_SEGMENTS, MAX_SEGMENT_BYTES } from './secret-path.js';

export const PATH_FIELD: FieldSchema<'string'> = {
  type: 'string',
  description:
    `Location of the secret, relative to the mount: at most ${MAX_PATH_SEGMENTS} "/"-separated segments ` +
    `of at most ${MAX_SEGMENT_BYTES} bytes each.`,
};

export const VERSION_FIELD: FieldSchema<'int'> = {
  type: 'int',
  description: 'Version to read. 0 or unset reads the current version.',
};

export const VERSIONS_FIELD: FieldSchema<'comma_string_slice'> = {
  type: 'comma_string_slice',
  description: 'Version numbers to act on, as a list or a comma-separated string.',
};

/** Returns `value` when it is a version number or 0; throws a 400 naming the field otherwise. */
export function checkVersionNumber(value: number): number {
  if (value < 0) {
    throw badRequest(`invalid field "version": ${value} is negative: use a version number, or 0 for the current version`);
  }
  return value;
}

/** Returns `value` when it is not negative; throws a 400 naming the field and the fix otherwise. */
export function checkNotNegative(field: string, value: number, fix: string): number {
  if (value < 0) throw badRequest(`invalid field "${field}": ${value} is negative: ${fix}`);
  return value;
}

/**
 * Returns `value` when it can be a `max_versions` setting: a non-negative
 * integer that JSON and JavaScript numbers store exactly.
 *
 * @throws CofferError (400) naming the field, the value and `fix` otherwise.
 */
export function checkMaxVersions(value: number, fix: string): number {
  checkNotNegative('max_versions', value, fix);
  if (!Number.isSafeInteger(value)) {
    throw badRequest(`invalid field "max_versions": ${value} is more than the maximum of ${Number.MAX_SAFE_INTEGER}: ${fix}`);
  }
  return value;
}

/**
 * Returns `seconds` when its magnitude is within the maximum duration Vault
 * accepts for `delete_version_after`. `raw` is the value as the client sent
 * it, for the message.
 *
 * @throws CofferError (400) naming the field, the value and the limit otherwise.
 */
export function checkDeleteVersionAfter(seconds: number, raw: unknown): number {
  if (Math.abs(seconds) <= MAX_DELETE_VERSION_AFTER_SECONDS) return seconds;
  throw badRequest(
    `invalid field "delete_version_after": ${stringifyJson(raw)} is longer than the maximum of ` +
      `${formatDuration(MAX_DELETE_VERSION_AFTER_SECONDS)}: use a shorter duration`,
  );
}

/**
 * Parses the `versions` list of delete, undelete and destroy.
 *
 * @throws CofferError (400) when the list is empty or contains anything but positive integers.
 */
export function parseVersionList(items: string[]): number[] {
  if (items.length === 0) {
    throw badRequest('no version number provided: list the versions in the "versions" field, as in [1, 2]');
  }
  const numbers: number[] = [];
  for (const item of items) {
    if (!/^\d+$/.test(item) || Number(item) === 0) {
      throw badRequest(`invalid field "versions": "${item}" is not a version number: use positive integers, as in [1, 2]`);
    }
    numbers.push(Number(item));
  }
  return numbers;
}

/**
 * Reads `options.cas` of a data write or patch. Returns `undefined` when the
 * request sets no check-and-set value.
 *
 * @throws CofferError (400) with Vault's message when `cas` is not a non-negative integer.
 */
export function parseCheckAndSet(options: Record<string, unknown> | undefined): number | undefined {
  if (options === undefined || !Object.hasOwn(options, 'cas')) return undefined;

  const raw = options.cas;
  if (raw === null) return undefined;
  const number = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    throw badRequest(`error parsing check-and-set parameter: options.cas must be a non-negative integer, got ${stringifyJson(raw)}`);
  }
  return number;
}

/**
 * Returns the `data` field of a data write or patch.
 *
 * @throws CofferError (400) with Vault's message when the field is missing.
 */
export function requireDataField(data: Record<string, unknown> | undefined, path: string): Record<string, unknown> {
  if (data === undefined || !isJsonObject(data)) {
    throw badRequest(`no data provided: send the key/value pairs of "${path}" as an object in the "data" field`);
  }
  return data;
}
