/**
 * Local user and group entries: their storage keys, name normalization and
 * policy lists.
 *
 * Storage layout, relative to the mount's storage view:
 *
 *   config                 the LdapConfig as JSON
 *   group/<encoded name>   a GroupEntry as JSON
 *   user/<encoded name>    a UserEntry as JSON
 *
 * Names are percent-encoded in keys, because LDAP group names may contain
 * `/`, spaces or be `.`, which a storage key cannot hold as they are.
 */
import { badRequest, type Storage } from '@coffer/sdk';
import { readConfig } from './config.js';

export interface GroupEntry {
  policies: string[];
}

export interface UserEntry {
  /** Local groups added to the ones the directory reports. */
  groups: string[];
  policies: string[];
}

export const GROUP_PREFIX = 'group/';
export const USER_PREFIX = 'user/';

/** Lowercases a user or group name unless the mount compares names case-sensitively. */
export function canonicalName(name: string, caseSensitive: boolean): string {
  return caseSensitive ? name : name.toLowerCase();
}

/**
 * Returns the storage key of a user or group.
 * @throws CofferError (400) for a name that is not well-formed Unicode.
 */
export function entryKey(prefix: string, name: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(name);
  } catch {
    throw badRequest(`invalid name ${JSON.stringify(name)}: it contains an unpaired UTF-16 surrogate; use well-formed Unicode`);
  }
  return prefix + encoded.replace(/\./g, '%2E');
}

/** Returns the name as stored: lowercased unless the mount compares names case-sensitively. */
export async function storedName(storage: Storage, name: string): Promise<string> {
  const config = await readConfig(storage);
  return canonicalName(name, config?.caseSensitiveNames ?? false);
}

/** Returns the names stored under `prefix`, sorted. */
export async function listNames(storage: Storage, prefix: string): Promise<string[]> {
  const keys = await storage.list(prefix);
  return keys.filter((key) => !key.endsWith('/')).map((key) => decodeURIComponent(key)).sort();
}

export async function readEntry<T>(storage: Storage, prefix: string, name: string): Promise<T | null> {
  const entry = await storage.get(entryKey(prefix, name));
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as T);
}

export async function writeEntry(storage: Storage, prefix: string, name: string, value: GroupEntry | UserEntry): Promise<void> {
  await storage.put({ key: entryKey(prefix, name), value: Buffer.from(JSON.stringify(value), 'utf8') });
}

/**
 * Normalizes a policy list as Vault's policyutil does: trimmed, lowercased,
 * without empty names or duplicates, sorted, and only `root` when it
 * contains `root`.
 */
export function parsePolicies(policies: readonly string[]): string[] {
  const names = uniqueSorted(policies, true);
  return names.includes('root') ? ['root'] : names;
}

/** Trims, drops empty items and duplicates, and sorts; lowercases when asked. */
export function uniqueSorted(items: readonly string[], lowercase: boolean): string[] {
  const result = new Set<string>();
  for (const item of items) {
    const trimmed = item.trim();
    if (trimmed !== '') result.add(lowercase ? trimmed.toLowerCase() : trimmed);
  }
  return [...result].sort();
}
