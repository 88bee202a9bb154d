/**
 * The postgresql backend's settings, read from the server config's
 * `storage "postgresql"` stanza and checked before any connection is made.
 */
import { parseDurationSeconds, parseGoBool } from '@coffer/sdk';

/** Checked settings. */
export interface PostgresqlSettings {
  /** The `connection_url` exactly as configured; it may hold a password, so never log it. */
  connectionUrl: string;
  /** The data table, as `[schema, table]` with `schema` empty when not qualified. */
  table: QualifiedName;
  /** Size of the connection pool. */
  maxParallel: number;
  /** Whether servers on this storage elect an active node through a lock in `haTable`. */
  haEnabled: boolean;
  /** The HA lock table. */
  haTable: QualifiedName;
  /** How long an active node keeps the HA lock without renewing it, in milliseconds. */
  haLockTtlMs: number;
}

/** A table name, optionally schema-qualified. */
export interface QualifiedName {
  schema: string;
  name: string;
}

/** Every setting the stanza accepts, as `StoragePlugin.settings` lists them. */
export const SETTING_NAMES = ['connection_url', 'table', 'max_parallel', 'ha_enabled', 'ha_table', 'ha_lock_ttl'] as const;

/** Vault's default data table. */
export const DEFAULT_TABLE = 'vault_kv_store';

/** Vault's default HA lock table. */
export const DEFAULT_HA_TABLE = 'vault_ha_locks';

/** Vault's postgresql lock TTL; a standby takes over at most this long after the active node dies. */
export const DEFAULT_HA_LOCK_TTL = '15s';

/**
 * The default pool size. Vault's is 128, but PostgreSQL's default
 * `max_connections` is 100, so one server with 128 connections could lock
 * out every other client, standbys included. One Node.js process waits on
 * at most a few dozen queries at a time, so 16 keeps its writes overlapped
 * while leaving room for several Coffer servers on one database.
 */
export const DEFAULT_MAX_PARALLEL = 16;

/** The largest `max_parallel` accepted, to catch a typo; the server's own `max_connections` may be lower. */
const MAX_POOL_SIZE = 1000;

/** An unquoted SQL identifier, which PostgreSQL folds to lower case; mixed case is rejected to avoid that surprise. */
const IDENTIFIER = /^[a-z_][a-z0-9_$]{0,62}$/;

/**
 * Checks the stanza's settings and fills in defaults.
 *
 * @throws Error naming the setting, the value and the fix, e.g.
 *   `storage "postgresql": missing required setting "connection_url"; ...`.
 *   A password in `connection_url` is never part of the message.
 */
export function parseSettings(settings: Record<string, string>): PostgresqlSettings {
  const connectionUrl = parseConnectionUrl(settings.connection_url);
  const maxParallel = parsePoolSize(settings.max_parallel);
  const haEnabled = parseBool('ha_enabled', settings.ha_enabled ?? 'false');
  const table = parseTableName('table', settings.table ?? DEFAULT_TABLE);
  const haTable = parseTableName('ha_table', settings.ha_table ?? DEFAULT_HA_TABLE);
  const haLockTtlMs = parseLockTtl(settings.ha_lock_ttl ?? DEFAULT_HA_LOCK_TTL);
  return { connectionUrl, table, maxParallel, haEnabled, haTable, haLockTtlMs };
}

/** Returns `url` with any password replaced by `****`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '****';
    return parsed.toString();
  } catch {
    // Not a URL: hide a "user:password@" part and a "password=" pair.
    return url.replace(/:[^:@/]*@/, ':****@').replace(/(password\s*=\s*)\S+/gi, '$1****');
  }
}

function parseConnectionUrl(value: string | undefined): string {
  if (value === undefined || value.trim() === '') {
    throw settingError('missing required setting "connection_url"; set it to a URL such as "postgres://user:password@host:5432/vault"');
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw settingError(
      `setting "connection_url" is not a valid URL ("${redactUrl(value)}"); use the form "postgres://user:password@host:5432/database"`,
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw settingError(
      `setting "connection_url" must start with "postgres://" or "postgresql://", not "${parsed.protocol}//"; ` +
        'use the form "postgres://user:password@host:5432/database"',
    );
  }
  return value;
}

/** Accepts 2 s to 10 min: below 2 s a slow query would cost the lock, above 10 min a failover would take too long to notice. */
function parseLockTtl(value: string): number {
  const seconds = parseDurationSeconds(value);
  if (seconds === null || seconds < 2 || seconds > 600) {
    throw settingError(`setting "ha_lock_ttl" must be a duration from 2s to 10m, such as "15s", not "${value}"`);
  }
  return seconds * 1000;
}

function parsePoolSize(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_PARALLEL;
  const trimmed = value.trim();
  const size = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || size < 1 || size > MAX_POOL_SIZE) {
    throw settingError(`setting "max_parallel" must be a whole number from 1 to ${MAX_POOL_SIZE}, not "${value}"`);
  }
  return size;
}

/** Reads a boolean the way Go's strconv.ParseBool does, as Vault's settings are read. */
export function parseBool(name: string, value: string): boolean {
  const parsed = parseGoBool(value.trim());
  if (parsed !== undefined) return parsed;
  throw settingError(`setting "${name}" must be "true" or "false", not "${value}"`);
}

function parseTableName(setting: string, value: string): QualifiedName {
  const parts = value.trim().split('.');
  const valid = parts.length <= 2 && parts.every((part) => IDENTIFIER.test(part));
  if (!valid) {
    throw settingError(
      `setting "${setting}" must be a table name such as "${setting === 'table' ? DEFAULT_TABLE : DEFAULT_HA_TABLE}" ` +
        `or "schema.table" in lower-case letters, digits and "_", not "${value}"`,
    );
  }
  return parts.length === 2 ? { schema: parts[0], name: parts[1] } : { schema: '', name: parts[0] };
}

/** Quotes a qualified name for SQL; the parts were checked against {@link IDENTIFIER}. */
export function quoteName(name: QualifiedName): string {
  return name.schema === '' ? `"${name.name}"` : `"${name.schema}"."${name.name}"`;
}

function settingError(problem: string): Error {
  return new Error(`storage "postgresql": ${problem}`);
}
