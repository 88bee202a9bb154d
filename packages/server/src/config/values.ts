/**
 * Readers for single setting values, with Vault's leniency: booleans may be
 * written as strings or 0/1, and durations as Go duration strings or whole
 * seconds. Each reader throws a ConfigError naming the setting, the value
 * and the expected form.
 */
import { parseDurationSeconds, parseGoBool } from '@coffer/sdk';
import type { Scope } from './scope.js';
import type { LogLevel } from './types.js';

/** Vault's log level spellings (case-insensitive) and the level each means. */
const LOG_LEVELS: Record<string, LogLevel> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  err: 'error',
  error: 'error',
};

const LOG_FORMATS = ['standard', 'json'];

const MAX_SHOWN_LENGTH = 60;

/** Describes a value for an error message: strings quoted, blocks and lists by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const truncated = value.length > MAX_SHOWN_LENGTH ? `${value.slice(0, MAX_SHOWN_LENGTH)}...` : value;
    return JSON.stringify(truncated);
  }
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a block';
  return String(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(scope: Scope, key: string, expected: string, value: unknown): Error {
  return scope.fail(key, `invalid "${key}"${scope.where}: expected ${expected}, got ${describeValue(value)}`);
}

/**
 * Reads a boolean: true/false, the strings Go's strconv.ParseBool takes
 * ("true", "1", "f", ...), or the numbers 0 and 1.
 * NOTE: Vault's parseutil takes any non-zero number as true. Coffer rejects
 * numbers other than 0 and 1 as a likely typo.
 */
export function readBoolean(scope: Scope, key: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  const parsed = typeof value === 'string' ? parseGoBool(value) : undefined;
  if (parsed !== undefined) return parsed;
  throw invalid(scope, key, 'a boolean (true or false)', value);
}

/** Reads a string. Numbers are not converted: a path or address written as a number is a mistake. */
export function readString(scope: Scope, key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  throw invalid(scope, key, 'a string', value);
}

/** Reads a duration in whole seconds from a Go duration string ("768h", "90m") or a number of seconds. */
export function readDuration(scope: Scope, key: string, value: unknown): number {
  const seconds = typeof value === 'number' && !Number.isInteger(value) ? null : parseDurationSeconds(value);
  if (seconds !== null) return seconds;
  throw invalid(scope, key, 'a duration such as "768h" or "30m", or a whole number of seconds', value);
}

/**
 * Reads a count of `unit` such as `cache_size`: a whole number of 0 or more,
 * written as a number or as a decimal string. Vault's docs give `cache_size`
 * as a string, and Vault's HCL decoder converts one.
 */
export function readCount(scope: Scope, key: string, value: unknown, unit: string): number {
  const count = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof count === 'number' && Number.isSafeInteger(count) && count >= 0) return count;
  throw invalid(scope, key, `a whole number of ${unit}, 0 or more`, value);
}

/**
 * Returns `table[key]` when `key` is one of the table's own keys. Indexing
 * the table directly would also find `constructor`, `toString` and the
 * other members that every object inherits.
 */
export function ownEntry<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Reads `log_level`, mapping Vault's spellings (`warning`, `err`, `notice`) onto Coffer's levels. */
export function readLogLevel(scope: Scope, key: string, value: unknown): LogLevel {
  const text = readString(scope, key, value).trim().toLowerCase();
  const level = ownEntry(LOG_LEVELS, text);
  if (level !== undefined) return level;
  throw invalid(scope, key, 'one of trace, debug, info, warn or error', value);
}

/** Reads `log_format`: `standard` or `json`, in any case. */
export function readLogFormat(scope: Scope, key: string, value: unknown): string {
  const text = readString(scope, key, value).trim().toLowerCase();
  if (LOG_FORMATS.includes(text)) return text;
  throw invalid(scope, key, 'standard or json', value);
}

/**
 * Reads an `http://` or `https://` URL such as `api_addr`. go-sockaddr
 * templates (`{{ GetPrivateIP }}`), which Vault renders, are rejected because
 * Coffer does not render them.
 */
export function readUrl(scope: Scope, key: string, value: unknown): string {
  const text = readString(scope, key, value);
  rejectTemplate(scope, key, text);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') {
    return text;
  }
  throw invalid(scope, key, 'a full URL such as "https://127.0.0.1:8200"', value);
}

/** Reads a listener address, `host:port` or `[ipv6]:port`, with a port from 0 to 65535. */
export function readHostPort(scope: Scope, key: string, value: unknown): string {
  const text = readString(scope, key, value);
  rejectTemplate(scope, key, text);
  const match = /^(?:\[[^\]]+\]|[^:[\]]*):(\d{1,5})$/.exec(text);
  if (match !== null && Number(match[1]) <= 65535) return text;
  throw invalid(scope, key, 'host:port such as "127.0.0.1:8200"', value);
}

function rejectTemplate(scope: Scope, key: string, text: string): void {
  if (!text.includes('{{')) return;
  throw scope.fail(
    key,
    `invalid "${key}"${scope.where}: go-sockaddr templates such as ${describeValue(text)} are not supported, so write the address itself`,
  );
}

/**
 * Converts a storage or seal stanza's settings to strings, as Vault does:
 * strings stay as they are, numbers and booleans become their text. Lists and
 * nested blocks become JSON text when `nested` is 'json' (storage, where Vault
 * JSON-encodes them) and are rejected when it is 'reject' (seals, whose
 * settings Vault requires to be scalars).
 */
export function readSettingsMap(
  scope: Scope,
  body: Record<string, unknown>,
  nested: 'json' | 'reject',
): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') {
      settings[key] = value;
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      settings[key] = String(value);
    } else if (nested === 'json') {
      settings[key] = JSON.stringify(value);
    } else {
      throw invalid(scope, key, 'a string, number or boolean', value);
    }
  }
  return settings;
}
