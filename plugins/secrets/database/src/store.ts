/**
 * The engine's storage layout, relative to the mount's storage view, with
 * Vault's key names:
 *
 *   config/<name>        a connection (ConnectionConfig as JSON), with the root password
 *   role/<name>          a dynamic role (DynamicRole as JSON)
 *   static-role/<name>   a static role (StaticRole as JSON), with the account's current password
 *   wal/<id>             write-ahead log records of changes in progress
 *
 * Everything passes through the server's barrier, which encrypts it.
 */
import { globMatches, type Storage } from '@coffer/sdk';

export const CONFIG_PREFIX = 'config/';
export const ROLE_PREFIX = 'role/';
export const STATIC_ROLE_PREFIX = 'static-role/';

/** A connection to one database, from `config/:name`. */
export interface ConnectionConfig {
  pluginName: string;
  pluginVersion: string;
  verifyConnection: boolean;
  /** Role names or globs (`app-*`) that may use this connection. `*` allows every role, and an empty list none. */
  allowedRoles: string[];
  rootRotationStatements: string[];
  passwordPolicy: string;
  /**
   * The settings the plugin receives: `connection_url`, `username`,
   * `password`, `username_template` and any plugin-specific key.
   */
  connectionDetails: Record<string, unknown>;
}

/** A role that creates a new user for every `creds/:name` read. */
export interface DynamicRole {
  dbName: string;
  /** Seconds; 0 takes the mount's default lease TTL. */
  defaultTtl: number;
  /** Seconds; 0 takes the mount's max lease TTL. */
  maxTtl: number;
  creationStatements: string[];
  revocationStatements: string[];
  rollbackStatements: string[];
  renewStatements: string[];
}

/** A role bound to one existing database user whose password the engine rotates. */
export interface StaticRole {
  dbName: string;
  username: string;
  /** Seconds between rotations. */
  rotationPeriod: number;
  rotationStatements: string[];
  /** The account's current password. Never returned except by `static-creds/:name`. */
  password: string;
  /** When the engine last set the password, in Unix milliseconds. */
  lastRotation: number;
}

async function readJson<T>(storage: Storage, key: string): Promise<T | null> {
  const entry = await storage.get(key);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as T);
}

async function writeJson(storage: Storage, key: string, value: unknown): Promise<void> {
  await storage.put({ key, value: Buffer.from(JSON.stringify(value)) });
}

export const readConnection = (storage: Storage, name: string) => readJson<ConnectionConfig>(storage, CONFIG_PREFIX + name);
export const writeConnection = (storage: Storage, name: string, config: ConnectionConfig) => writeJson(storage, CONFIG_PREFIX + name, config);
export const readRole = (storage: Storage, name: string) => readJson<DynamicRole>(storage, ROLE_PREFIX + name);
export const writeRole = (storage: Storage, name: string, role: DynamicRole) => writeJson(storage, ROLE_PREFIX + name, role);
export const readStaticRole = (storage: Storage, name: string) => readJson<StaticRole>(storage, STATIC_ROLE_PREFIX + name);
export const writeStaticRole = (storage: Storage, name: string, role: StaticRole) => writeJson(storage, STATIC_ROLE_PREFIX + name, role);

/**
 * Returns whether `role` may use `config`: an entry of `allowed_roles`
 * names it, or is a glob such as `app-*` that matches it, as in Vault.
 */
export function roleAllowed(config: ConnectionConfig, role: string): boolean {
  return config.allowedRoles.some((pattern) => globMatches(pattern, role));
}

/** Lists keys under a prefix, leaving out folders, for LIST responses. */
export async function listNames(storage: Storage, prefix: string): Promise<string[]> {
  return (await storage.list(prefix)).filter((name) => !name.endsWith('/'));
}
