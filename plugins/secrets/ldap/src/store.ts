/**
 * The engine's storage layout, relative to the mount's storage view:
 *
 *   config               the directory connection and bind account (LdapConfig as JSON)
 *   static-role/<name>   a static role with its current password (StaticRole as JSON)
 *   role/<name>          a dynamic role (DynamicRole as JSON)
 *   library/<set>        a library set of service accounts (LibrarySet as JSON)
 *   library-account/<name>  a library account's DN, password and check-out (LibraryAccount as JSON)
 *   wal/<id>             write-ahead records of rotations and of entries being created
 *
 * Everything passes through the server's barrier, which encrypts it.
 */
import type { Storage } from '@coffer/sdk';

export const CONFIG_KEY = 'config';
export const STATIC_ROLE_PREFIX = 'static-role/';
export const ROLE_PREFIX = 'role/';
export const LIBRARY_PREFIX = 'library/';
export const LIBRARY_ACCOUNT_PREFIX = 'library-account/';

/** The directory the engine manages, from `config`. */
export interface LdapConfig {
  binddn: string;
  /** The bind account's password. Never returned by any path. */
  bindpass: string;
  /** Comma-separated ldap:// and ldaps:// URLs, tried in order. */
  url: string;
  userdn: string;
  userattr: string;
  upndomain: string;
  schema: 'openldap';
  /** A policy under sys/policies/password; empty takes the default rules. */
  passwordPolicy: string;
  /** Deprecated length of generated passwords; 0 when `passwordPolicy` is set. */
  length: number;
  /** Seconds an operation may take. */
  requestTimeout: number;
  /** Seconds a connection attempt may take. */
  connectionTimeout: number;
  starttls: boolean;
  insecureTls: boolean;
  /** PEM of CA certificates that sign the server's certificate. */
  certificate: string;
  clientTlsCert: string;
  /** PEM private key of the client certificate. Never returned by any path. */
  clientTlsKey: string;
  /** When `rotate-root` last set the bind password, in ms since the epoch; 0 for never. */
  lastBindPasswordRotation: number;
}

/** A static role: one existing account whose password the engine owns. */
export interface StaticRole {
  username: string;
  dn: string;
  /** Seconds between rotations. */
  rotationPeriod: number;
  password: string;
  /** The password before the last rotation; empty before the second one. */
  lastPassword: string;
  /** ms since the epoch; 0 when the engine never set the password (skip_import_rotation). */
  lastRotation: number;
  /** When the role was written, in ms since the epoch; the schedule counts from here until the first rotation. */
  createdAt: number;
}

/** A dynamic role: LDIF templates that create and delete an account per lease. */
export interface DynamicRole {
  creationLdif: string;
  deletionLdif: string;
  rollbackLdif: string;
  usernameTemplate: string;
  /** Seconds; 0 takes the mount's value. */
  defaultTtl: number;
  maxTtl: number;
}

/** A library set: service accounts lent out one caller at a time. */
export interface LibrarySet {
  serviceAccountNames: string[];
  /** Seconds a check-out lasts; 0 for no limit. */
  ttl: number;
  /** Seconds a check-out may last with renewals; 0 for no limit. */
  maxTtl: number;
  disableCheckInEnforcement: boolean;
}

/** The check-out of a library account. */
export interface CheckOut {
  /** Random id, also kept with the lease, so that a lease revoked after a later check-out leaves that one alone. */
  id: string;
  /** The borrower's token, salted for this mount by the server. */
  borrowerClientToken: string;
}

/** A service account of a library set. */
export interface LibraryAccount {
  set: string;
  dn: string;
  /** Empty until the first check-out sets a password. */
  password: string;
  checkOut: CheckOut | null;
}

export async function readJson<T>(storage: Storage, key: string): Promise<T | null> {
  const entry = await storage.get(key);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as T);
}

export async function writeJson(storage: Storage, key: string, value: unknown): Promise<void> {
  await storage.put({ key, value: Buffer.from(JSON.stringify(value)) });
}

/** Returns the names stored directly under `prefix`, without sub-folders. */
export async function listNames(storage: Storage, prefix: string): Promise<string[]> {
  return (await storage.list(prefix)).filter((key) => !key.endsWith('/'));
}

export const readConfig = (storage: Storage) => readJson<LdapConfig>(storage, CONFIG_KEY);
export const writeConfig = (storage: Storage, config: LdapConfig) => writeJson(storage, CONFIG_KEY, config);
export const readStaticRole = (storage: Storage, name: string) => readJson<StaticRole>(storage, STATIC_ROLE_PREFIX + name);
export const writeStaticRole = (storage: Storage, name: string, role: StaticRole) => writeJson(storage, STATIC_ROLE_PREFIX + name, role);
export const readDynamicRole = (storage: Storage, name: string) => readJson<DynamicRole>(storage, ROLE_PREFIX + name);
export const writeDynamicRole = (storage: Storage, name: string, role: DynamicRole) => writeJson(storage, ROLE_PREFIX + name, role);
export const readLibrarySet = (storage: Storage, name: string) => readJson<LibrarySet>(storage, LIBRARY_PREFIX + name);
export const writeLibrarySet = (storage: Storage, name: string, set: LibrarySet) => writeJson(storage, LIBRARY_PREFIX + name, set);
export const readLibraryAccount = (storage: Storage, name: string) => readJson<LibraryAccount>(storage, LIBRARY_ACCOUNT_PREFIX + name);
export const writeLibraryAccount = (storage: Storage, name: string, account: LibraryAccount) => writeJson(storage, LIBRARY_ACCOUNT_PREFIX + name, account);
