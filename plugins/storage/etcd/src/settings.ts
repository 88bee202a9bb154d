/**
 * The etcd backend's settings, read from the server config's `storage
 * "etcd"` stanza and checked before any connection is made. Names and
 * defaults follow Vault's etcd backend.
 */
import { readFileSync } from 'node:fs';
import { parseDurationSeconds, parseGoBool } from '@coffer/sdk';

/** Checked settings, with the TLS files already read. */
export interface EtcdSettings {
  /** Client URLs, all `http://` or all `https://`. */
  endpoints: string[];
  /** Key prefix, ending with `/`; an entry's etcd key is this plus the storage key. */
  path: string;
  /** Whether servers on this storage elect an active node through a lock key. */
  haEnabled: boolean;
  /** TTL of the lease that holds the HA lock, in milliseconds. */
  sessionTtlMs: number;
  /** PEM contents of `tls_ca_file`, `tls_cert_file` and `tls_key_file`, when set. */
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** The name to verify the server certificate against, in place of the host in `address`. */
  tlsServerName?: string;
  /** Both or neither; the password must never be logged. */
  auth?: { username: string; password: string };
  /** Deadline of each request, in milliseconds. */
  requestTimeoutMs: number;
}

/** Every setting the stanza accepts, as `StoragePlugin.settings` lists them. */
export const SETTING_NAMES = [
  'address',
  'path',
  'ha_enabled',
  'etcd_api',
  'tls_ca_file',
  'tls_cert_file',
  'tls_key_file',
  'tls_server_name',
  'username',
  'password',
  'request_timeout',
  'session_ttl',
] as const;

export const DEFAULT_ADDRESS = 'http://127.0.0.1:2379';
export const DEFAULT_PATH = '/vault/';
/** Vault's default `request_timeout`. */
export const DEFAULT_REQUEST_TIMEOUT = '5s';
/** TTL of the HA lock's lease: 15 s, the lock TTL of Vault's other HA backends. */
export const DEFAULT_SESSION_TTL = '15s';

/**
 * Checks the stanza's settings, reads the TLS files and fills in defaults.
 *
 * @throws Error naming the setting, the value and the fix, e.g.
 *   `storage "etcd": setting "address" ...`. The password is never part of a message.
 */
export function parseSettings(settings: Record<string, string>): EtcdSettings {
  const endpoints = parseAddress(settings.address ?? DEFAULT_ADDRESS);
  const path = parsePath(settings.path ?? DEFAULT_PATH);
  const haEnabled = parseBool('ha_enabled', settings.ha_enabled ?? 'false');
  checkApiVersion(settings.etcd_api);
  const tls = readTlsFiles(settings);
  const auth = parseAuth(settings.username, settings.password);
  const requestTimeoutMs = parseTimeout(settings.request_timeout ?? DEFAULT_REQUEST_TIMEOUT);
  const sessionTtlMs = parseSessionTtl(settings.session_ttl ?? DEFAULT_SESSION_TTL);

  const secure = endpoints[0].startsWith('https:');
  if (!secure && (tls.ca !== undefined || tls.cert !== undefined)) {
    throw settingError(`settings "tls_ca_file" and "tls_cert_file" need https:// addresses, but "address" is "${settings.address ?? DEFAULT_ADDRESS}"; use https:// or drop the TLS settings`);
  }
  const tlsServerName = settings.tls_server_name?.trim() || undefined;
  return { endpoints, path, haEnabled, sessionTtlMs, tls, ...(tlsServerName !== undefined ? { tlsServerName } : {}), ...(auth !== undefined ? { auth } : {}), requestTimeoutMs };
}

function parseAddress(value: string): string[] {
  const endpoints = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (endpoints.length === 0) {
    throw settingError(`setting "address" must list at least one URL such as "${DEFAULT_ADDRESS}", not "${value}"`);
  }
  for (const endpoint of endpoints) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw settingError(`setting "address" contains "${endpoint}", which is not a URL; use the form "http://host:2379"`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.username !== '') {
      throw settingError(`setting "address" contains "${endpoint}"; each address must be "http://host:port" or "https://host:port" with no path or user`);
    }
  }
  const schemes = new Set(endpoints.map((endpoint) => new URL(endpoint).protocol));
  if (schemes.size > 1) {
    throw settingError(`setting "address" mixes http:// and https:// in "${value}"; use one scheme for every address`);
  }
  return endpoints.map((endpoint) => endpoint.replace(/\/$/, ''));
}

function parsePath(value: string): string {
  const path = value.trim();
  if (path === '' || !path.startsWith('/') || path.includes('\0') || path.includes('//')) {
    throw settingError(`setting "path" must be a key prefix such as "${DEFAULT_PATH}" that starts with "/", not "${value}"`);
  }
  // Vault joins the path and the key with "/", so "/vault" and "/vault/" name the same prefix.
  return path.endsWith('/') ? path : `${path}/`;
}

/** Reads a boolean the way Go's strconv.ParseBool does, as Vault's settings are read. */
function parseBool(name: string, value: string): boolean {
  const parsed = parseGoBool(value.trim());
  if (parsed !== undefined) return parsed;
  throw settingError(`setting "${name}" must be "true" or "false", not "${value}"`);
}

function checkApiVersion(value: string | undefined): void {
  if (value === undefined || value.trim() === '' || value.trim() === 'v3') return;
  throw settingError(`setting "etcd_api" must be "v3", not "${value}"; the v2 API is not supported, so migrate the data to the v3 API`);
}

function readTlsFiles(settings: Record<string, string>): EtcdSettings['tls'] {
  const tls: EtcdSettings['tls'] = {};
  const ca = readPem('tls_ca_file', settings.tls_ca_file);
  const cert = readPem('tls_cert_file', settings.tls_cert_file);
  const key = readPem('tls_key_file', settings.tls_key_file);
  if ((cert === undefined) !== (key === undefined)) {
    throw settingError('settings "tls_cert_file" and "tls_key_file" must be set together; set both for a client certificate, or neither');
  }
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  return tls;
}

function readPem(name: string, file: string | undefined): Buffer | undefined {
  if (file === undefined || file.trim() === '') return undefined;
  let contents: Buffer;
  try {
    contents = readFileSync(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw settingError(`setting "${name}" names "${file}", which cannot be read (${reason}); point it at a PEM file`);
  }
  if (!contents.includes('-----BEGIN ')) {
    throw settingError(`setting "${name}" names "${file}", which is not a PEM file; point it at a PEM file`);
  }
  return contents;
}

function parseAuth(username: string | undefined, password: string | undefined): EtcdSettings['auth'] {
  const hasUser = username !== undefined && username !== '';
  const hasPassword = password !== undefined && password !== '';
  if (hasUser !== hasPassword) {
    throw settingError('settings "username" and "password" must be set together; set both to log in to etcd, or neither');
  }
  return hasUser ? { username: username!, password: password! } : undefined;
}

function parseTimeout(value: string): number {
  const seconds = parseDurationSeconds(value);
  if (seconds === null || seconds <= 0) {
    throw settingError(`setting "request_timeout" must be a duration of at least 1s, such as "5s" or "1m", not "${value}"`);
  }
  return seconds * 1000;
}

/** Accepts 2 s to 10 min: etcd rounds shorter leases up to its own minimum, and a longer one delays failover. */
function parseSessionTtl(value: string): number {
  const seconds = parseDurationSeconds(value);
  if (seconds === null || seconds < 2 || seconds > 600) {
    throw settingError(`setting "session_ttl" must be a duration from 2s to 10m, such as "15s", not "${value}"`);
  }
  return seconds * 1000;
}

function settingError(problem: string): Error {
  return new Error(`storage "etcd": ${problem}`);
}
