/**
 * The engine's storage layout, relative to the mount's storage view, with
 * Vault's key names:
 *
 *   config/connection   the management API address and administrator (ConnectionConfig as JSON)
 *   config/lease        the TTL and max TTL of issued credentials (LeaseConfig as JSON)
 *   role/<name>         a role (Role as JSON)
 *   wal/<id>            write-ahead log records of users being created
 *
 * Everything passes through the server's barrier, which encrypts it.
 */
import type { Storage } from '@coffer/sdk';
import type { TopicPermission, VhostPermission } from './management.js';

export const CONNECTION_KEY = 'config/connection';
export const LEASE_KEY = 'config/lease';
export const ROLE_PREFIX = 'role/';

/** The connection to the RabbitMQ management API, from `config/connection`. */
export interface ConnectionConfig {
  connectionUri: string;
  username: string;
  /** The administrator's password. Never returned by any path. */
  password: string;
  /** A policy under sys/policies/password; empty takes the default password rules. */
  passwordPolicy: string;
  /** Empty takes {@link DEFAULT_USERNAME_TEMPLATE}. */
  usernameTemplate: string;
}

/** Lease settings of issued credentials, in seconds; 0 takes the mount's value. */
export interface LeaseConfig {
  ttl: number;
  maxTtl: number;
}

/** A role: the tags and permissions each user issued for it gets. */
export interface Role {
  /** RabbitMQ user tags, such as `management`. */
  tags: string[];
  /** Vhost name to permissions. */
  vhosts: Record<string, VhostPermission>;
  /** Vhost name to exchange name to topic permissions. */
  vhostTopics: Record<string, Record<string, TopicPermission>>;
}

/** Vault's default: the token's display name and a UUID, e.g. `token-0b7f1c2e-...`. */
export const DEFAULT_USERNAME_TEMPLATE = '{{ printf "%s-%s" (.DisplayName) (uuid) }}';

async function readJson<T>(storage: Storage, key: string): Promise<T | null> {
  const entry = await storage.get(key);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as T);
}

async function writeJson(storage: Storage, key: string, value: unknown): Promise<void> {
  await storage.put({ key, value: Buffer.from(JSON.stringify(value)) });
}

export const readConnection = (storage: Storage) => readJson<ConnectionConfig>(storage, CONNECTION_KEY);
export const writeConnection = (storage: Storage, config: ConnectionConfig) => writeJson(storage, CONNECTION_KEY, config);
export const readLease = (storage: Storage) => readJson<LeaseConfig>(storage, LEASE_KEY);
export const writeLease = (storage: Storage, lease: LeaseConfig) => writeJson(storage, LEASE_KEY, lease);
export const readRole = (storage: Storage, name: string) => readJson<Role>(storage, ROLE_PREFIX + name);
export const writeRole = (storage: Storage, name: string, role: Role) => writeJson(storage, ROLE_PREFIX + name, role);
