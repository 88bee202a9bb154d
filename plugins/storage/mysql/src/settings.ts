/**
 * The mysql backend's settings, read from the server config's
 * `storage "mysql"` stanza and checked before any connection is made.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseDurationSeconds, parseGoBool } from '@coffer/sdk';

/** Checked settings. */
export interface MysqlSettings {
  /** The server's host name or IP address, without brackets. */
  host: string;
  /** The server's TCP port. */
  port: number;
  /** The account name; it appears in server errors, so messages replace it. */
  username: string;
  /** The account's password, possibly empty; never log it. */
  password: string;
  /** The database that contains both tables; created when missing. */
  database: string;
  /** The data table. */
  table: string;
  /** The HA lock table. */
  lockTable: string;
  /** PEM certificates that verify the server; when set, every connection uses TLS. */
  tlsCa: string | undefined;
  /** The `tls_ca_file` path the certificates came from, for messages. */
  tlsCaFile: string | undefined;
  /** Size of the connection pool. */
  maxParallel: number;
  /** How many idle connections the pool keeps open, from 0 to `maxParallel`. */
  maxIdleConnections: number;
  /** How long a connection is reused before it is closed, in milliseconds; 0 means no limit. */
  maxConnectionLifetimeMs: number;
  /** Whether credentials may cross the network without TLS. */
  plaintextConnectionAllowed: boolean;
  /** Whether servers on this storage elect an active node through a lock in `lockTable`. */
  haEnabled: boolean;
  /** How long an active node keeps the HA lock without renewing it, in milliseconds. */
  haLockTtlMs: number;
}

/** Every setting the stanza accepts, as `StoragePlugin.settings` lists them. */
export const SETTING_NAMES = [
  'address',
  'username',
  'password',
  'database',
  'table',
  'tls_ca_file',
  'plaintext_connection_allowed',
  'max_parallel',
  'max_idle_connections',
  'max_connection_lifetime',
  'ha_enabled',
  'lock_table',
  'ha_lock_ttl',
] as const;

/** Vault's default server address. */
export const DEFAULT_ADDRESS = '127.0.0.1:3306';

/** Vault's default database name. */
export const DEFAULT_DATABASE = 'vault';

/** Vault's default data table. */
export const DEFAULT_TABLE = 'vault';

/** The lock table's default name is the data table's name with this suffix, as in Vault. */
export const LOCK_TABLE_SUFFIX = '_lock';

/** A standby takes over at most this long after the active node dies, as with the postgresql backend. */
export const DEFAULT_HA_LOCK_TTL = '15s';

/**
 * The default pool size. Vault's is 128, but MariaDB's default
 * `max_connections` is 151 (MySQL's is 151 too), so two servers with 128
 * connections each could lock out every other client, standbys included.
 * One Node.js process waits on at most a few dozen queries at a time, so 16
 * keeps its writes overlapped while leaving room for several Coffer servers.
 */
export const DEFAULT_MAX_PARALLEL = 16;

/** Idle connections kept when `max_idle_connections` is 0 or unset, as Go's database/sql keeps in Vault. */
export const DEFAULT_MAX_IDLE_CONNECTIONS = 2;

/** The largest `max_parallel` accepted, to catch a typo; the server's own `max_connections` may be lower. */
const MAX_POOL_SIZE = 1000;

/**
 * A name MySQL accepts unquoted: letters, digits, `_` and `$`, at most 64
 * characters, and not all digits. Names are quoted with backticks anyway,
 * but a backtick or a dot in one would change what the SQL means.
 */
const IDENTIFIER = /^[A-Za-z0-9_$]{1,64}$/;

/**
 * Checks the stanza's settings, reads `tls_ca_file` and fills in defaults.
 *
 * @throws Error naming the setting, the value and the fix, e.g.
 *   `storage "mysql": setting "max_parallel" must be a whole number from 1 to 1000, not "0"`.
 *   The password is never part of the message.
 */
export function parseSettings(settings: Record<string, string>): MysqlSettings {
  const { host, port } = parseAddress(settings.address ?? DEFAULT_ADDRESS);
  const username = parseUsername(settings.username);
  const password = parsePassword(settings.password);
  const database = parseIdentifier('database', settings.database ?? DEFAULT_DATABASE);
  const table = parseIdentifier('table', settings.table ?? DEFAULT_TABLE);
  const lockTable = parseLockTable(settings.lock_table, table);
  const maxParallel = parsePoolSize(settings.max_parallel);
  const maxIdleConnections = parseIdleConnections(settings.max_idle_connections, maxParallel);
  const maxConnectionLifetimeMs = parseConnectionLifetime(settings.max_connection_lifetime);
  const plaintextConnectionAllowed = parseBool('plaintext_connection_allowed', settings.plaintext_connection_allowed ?? 'false');
  const haEnabled = parseBool('ha_enabled', settings.ha_enabled ?? 'false');
  const haLockTtlMs = parseLockTtl(settings.ha_lock_ttl ?? DEFAULT_HA_LOCK_TTL);
  const tlsCaFile = settings.tls_ca_file === undefined || settings.tls_ca_file.trim() === '' ? undefined : settings.tls_ca_file;
  const tlsCa = tlsCaFile === undefined ? undefined : readCaFile(tlsCaFile);

  if (tlsCa === undefined && !plaintextConnectionAllowed && !isLoopback(host)) {
    throw settingError(
      `address "${settings.address}" is not a loopback address, so the password would cross the network unencrypted; ` +
        'set "tls_ca_file" to the CA certificate of the server to connect with TLS, or set "plaintext_connection_allowed" to "true"',
    );
  }
  return {
    host,
    port,
    username,
    password,
    database,
    table,
    lockTable,
    tlsCa,
    tlsCaFile,
    maxParallel,
    maxIdleConnections,
    maxConnectionLifetimeMs,
    plaintextConnectionAllowed,
    haEnabled,
    haLockTtlMs,
  };
}

/** Checks whether `host` names this machine: `localhost`, an address in 127.0.0.0/8, or `::1`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** Splits `host:port`, `host`, `[v6]:port` or `[v6]`; the port defaults to 3306. */
function parseAddress(value: string): { host: string; port: number } {
  const trimmed = value.trim();
  const match = /^(?:\[(?<v6>[0-9A-Fa-f:.]+)\]|(?<name>[A-Za-z0-9.\-_]+))(?::(?<port>\d{1,5}))?$/.exec(trimmed);
  const port = Number(match?.groups?.port ?? '3306');
  if (match === null || port < 1 || port > 65535) {
    throw settingError(`setting "address" must be "host:port", such as "${DEFAULT_ADDRESS}" or "[::1]:3306", not "${value}"`);
  }
  const host = match.groups?.v6 ?? match.groups?.name ?? '';
  if (match.groups?.v6 !== undefined && isIP(host) !== 6) {
    throw settingError(`setting "address" has an invalid IPv6 address in brackets: "${value}"`);
  }
  return { host, port };
}

function parseUsername(value: string | undefined): string {
  if (value === undefined || value.trim() === '') {
    throw settingError('missing required setting "username"; set it to the MySQL account Coffer connects as');
  }
  return value;
}

/** Requires the setting, so a forgotten password is caught here; an empty one is allowed for an account without a password. */
function parsePassword(value: string | undefined): string {
  if (value === undefined) {
    throw settingError('missing required setting "password"; set it to the password of "username", or to "" for an account without one');
  }
  return value;
}

function parseIdentifier(setting: string, value: string): string {
  const trimmed = value.trim();
  if (!IDENTIFIER.test(trimmed) || /^\d+$/.test(trimmed)) {
    throw settingError(
      `setting "${setting}" must be 1 to 64 letters, digits, "_" or "$", and not only digits, not "${value}"`,
    );
  }
  return trimmed;
}

function parseLockTable(value: string | undefined, table: string): string {
  if (value !== undefined) return parseIdentifier('lock_table', value);
  const derived = table + LOCK_TABLE_SUFFIX;
  if (derived.length > 64) {
    throw settingError(`the default "lock_table" "${derived}" is longer than 64 characters; set "lock_table", or use a shorter "table"`);
  }
  return derived;
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

/** Reads Vault's rule: 0 keeps the default of 2, a negative number keeps none, and more than `max_parallel` is cut to it. */
function parseIdleConnections(value: string | undefined, maxParallel: number): number {
  if (value === undefined) return Math.min(DEFAULT_MAX_IDLE_CONNECTIONS, maxParallel);
  const trimmed = value.trim();
  if (!/^-?\d+$/.test(trimmed)) {
    throw settingError(`setting "max_idle_connections" must be a whole number, not "${value}"`);
  }
  const count = Number(trimmed);
  if (count === 0) return Math.min(DEFAULT_MAX_IDLE_CONNECTIONS, maxParallel);
  if (count < 0) return 0;
  return Math.min(count, maxParallel);
}

/** Reads whole seconds as Vault does, or a duration such as "30m"; 0 means no limit. */
function parseConnectionLifetime(value: string | undefined): number {
  if (value === undefined) return 0;
  const seconds = /^\s*-\d+\s*$/.test(value) ? 0 : parseDurationSeconds(value);
  if (seconds === null) {
    throw settingError(`setting "max_connection_lifetime" must be whole seconds or a duration such as "30m", not "${value}"`);
  }
  return seconds * 1000;
}

/** Accepts 2 s to 10 min: below 2 s a slow query would cost the lock, above 10 min a failover would take too long to notice. */
function parseLockTtl(value: string): number {
  const seconds = parseDurationSeconds(value);
  if (seconds === null || seconds < 2 || seconds > 600) {
    throw settingError(`setting "ha_lock_ttl" must be a duration from 2s to 10m, such as "15s", not "${value}"`);
  }
  return seconds * 1000;
}

/** Reads a boolean the way Go's strconv.ParseBool does, as Vault's settings are read. */
function parseBool(name: string, value: string): boolean {
  const parsed = parseGoBool(value.trim());
  if (parsed !== undefined) return parsed;
  throw settingError(`setting "${name}" must be "true" or "false", not "${value}"`);
}

function readCaFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unknown error';
    throw settingError(`setting "tls_ca_file" names a file that cannot be read ("${path}", ${code}); point it at a PEM file of CA certificates`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw settingError(`setting "tls_ca_file" names a file with no PEM certificate ("${path}"); point it at a PEM file of CA certificates`);
  }
  return text;
}

/** Quotes a checked name for SQL; {@link IDENTIFIER} allows no backtick, so none needs escaping. */
export function quoteName(name: string): string {
  return `\`${name}\``;
}

function settingError(problem: string): Error {
  return new Error(`storage "mysql": ${problem}`);
}
