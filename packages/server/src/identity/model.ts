/**
 * The records of the identity store and the checks every write applies to
 * them. Entity, group and alias names are matched without regard to case,
 * as Vault's identity store does; the stored spelling is kept for responses.
 */
import { randomBytes } from 'node:crypto';
import { badRequest } from '@coffer/sdk';

/** One login identity of an entity: a user or role name within one auth mount. */
export interface EntityAlias {
  id: string;
  /** ID of the entity the alias belongs to. */
  canonicalId: string;
  mountAccessor: string;
  name: string;
  /** Set by the auth method at each login. */
  metadata: Record<string, string>;
  /** Set through the API only; logins leave it alone. */
  customMetadata: Record<string, string>;
  /** IDs of the entities the alias belonged to before merges. */
  mergedFromCanonicalIds: string[];
  /** RFC 3339 timestamps. */
  creationTime: string;
  lastUpdateTime: string;
}

/** A person or machine, tying together its aliases across auth mounts. */
export interface Entity {
  id: string;
  name: string;
  policies: string[];
  metadata: Record<string, string>;
  /** Tokens of a disabled entity are denied but not revoked. */
  disabled: boolean;
  aliases: EntityAlias[];
  /** IDs of entities merged into this one; their tokens resolve to this entity. */
  mergedEntityIds: string[];
  creationTime: string;
  lastUpdateTime: string;
}

export type GroupType = 'internal' | 'external';

/** The name of a group in an external system (an LDAP group, say) within one auth mount. */
export interface GroupAlias {
  id: string;
  /** ID of the external group the alias belongs to. */
  canonicalId: string;
  mountAccessor: string;
  name: string;
  creationTime: string;
  lastUpdateTime: string;
}

/**
 * A set of entities and groups sharing policies. Members of an internal group
 * are set through the API; members of an external group are set at login,
 * from the group aliases the auth method reports.
 */
export interface Group {
  id: string;
  name: string;
  type: GroupType;
  policies: string[];
  metadata: Record<string, string>;
  memberEntityIds: string[];
  /** Subgroups, whose members inherit this group's policies. Stored on the parent. */
  memberGroupIds: string[];
  alias: GroupAlias | null;
  /** Counts the writes of the group, as Vault reports it. */
  modifyIndex: number;
  creationTime: string;
  lastUpdateTime: string;
}

/** Vault's limits on metadata, from its identity store. */
const METADATA_MAX_PAIRS = 64;
const METADATA_KEY_MAX_LENGTH = 128;
const METADATA_VALUE_MAX_LENGTH = 512;
const METADATA_RESERVED_PREFIX = 'vault-';
const METADATA_KEY_PATTERN = /^[a-zA-Z0-9=/+_-]+$/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Returns the key under which a name is indexed. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/** Returns the key under which an alias is indexed: its mount accessor and name. */
export function factorsKey(mountAccessor: string, name: string): string {
  return `${mountAccessor}\u0000${nameKey(name)}`;
}

/** Returns the current time as an RFC 3339 timestamp. */
export function timestamp(): string {
  return new Date().toISOString();
}

/**
 * Returns a name such as `entity_1a2b3c4d` that `taken` rejects, as Vault
 * names entities and groups created without one.
 */
export function generateName(prefix: 'entity' | 'group', taken: (name: string) => boolean): string {
  for (;;) {
    const name = `${prefix}_${randomBytes(4).toString('hex')}`;
    if (!taken(name)) return name;
  }
}

/**
 * Checks entity or group metadata against Vault's rules.
 * @throws CofferError (400) naming the field, the key and the fix.
 */
export function validateMetadata(field: string, metadata: Record<string, string>): void {
  const keys = Object.keys(metadata);
  if (keys.length > METADATA_MAX_PAIRS) {
    throw badRequest(`invalid "${field}": ${keys.length} pairs given, at most ${METADATA_MAX_PAIRS} are allowed`);
  }
  for (const key of keys) {
    if (!METADATA_KEY_PATTERN.test(key)) {
      throw badRequest(`invalid "${field}" key ${JSON.stringify(key)}: use letters, digits, "=", "/", "+", "_" and "-"`);
    }
    if (key.length > METADATA_KEY_MAX_LENGTH) {
      throw badRequest(`invalid "${field}" key "${key.slice(0, 16)}...": keys are limited to ${METADATA_KEY_MAX_LENGTH} characters`);
    }
    if (key.startsWith(METADATA_RESERVED_PREFIX)) {
      throw badRequest(`invalid "${field}" key "${key}": the prefix "${METADATA_RESERVED_PREFIX}" is reserved`);
    }
    if (metadata[key].length > METADATA_VALUE_MAX_LENGTH) {
      throw badRequest(`invalid "${field}" value of "${key}": values are limited to ${METADATA_VALUE_MAX_LENGTH} characters`);
    }
  }
}

/**
 * Checks alias custom metadata: Vault's limits on counts and lengths, and no
 * control characters.
 * @throws CofferError (400) naming the key and the fix.
 */
export function validateCustomMetadata(metadata: Record<string, string>): void {
  const keys = Object.keys(metadata);
  if (keys.length > METADATA_MAX_PAIRS) {
    throw badRequest(`invalid "custom_metadata": ${keys.length} pairs given, at most ${METADATA_MAX_PAIRS} are allowed`);
  }
  for (const key of keys) {
    if (key === '' || key.length > METADATA_KEY_MAX_LENGTH || CONTROL_CHARACTERS.test(key)) {
      throw badRequest(`invalid "custom_metadata" key ${JSON.stringify(key.slice(0, 32))}: use 1 to ${METADATA_KEY_MAX_LENGTH} printable characters`);
    }
    const value = metadata[key];
    if (value.length > METADATA_VALUE_MAX_LENGTH || CONTROL_CHARACTERS.test(value)) {
      throw badRequest(`invalid "custom_metadata" value of "${key}": use at most ${METADATA_VALUE_MAX_LENGTH} printable characters`);
    }
  }
}

/**
 * Trims, drops empty entries and removes duplicates, keeping the first
 * spelling. Identity objects may not carry `root`, as in Vault.
 * @throws CofferError (400) when the list names `root`.
 */
export function sanitizeIdentityPolicies(policies: readonly string[]): string[] {
  const result: string[] = [];
  const seen = new Set<string>();
  for (const raw of policies) {
    const policy = raw.trim();
    if (policy === '' || seen.has(policy)) continue;
    if (policy.toLowerCase() === 'root') throw badRequest('invalid "policies": policies cannot contain root');
    seen.add(policy);
    result.push(policy);
  }
  return result;
}

/**
 * Checks an entity, group or alias name.
 * @throws CofferError (400) naming the field and the fix.
 */
export function validateName(field: string, name: string): void {
  if (CONTROL_CHARACTERS.test(name)) {
    throw badRequest(`invalid "${field}" ${JSON.stringify(name)}: names cannot contain control characters`);
  }
}

/** Returns the records sorted by ID, the order Vault lists them in. */
export function byId<T extends { id: string }>(records: Iterable<T>): T[] {
  const sorted = [...records];
  sorted.sort((a, b) => compareStrings(a.id, b.id));
  return sorted;
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

/** Removes duplicates, keeping the first occurrence of each value. */
export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Returns true when both maps hold the same keys and values. */
export function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}
