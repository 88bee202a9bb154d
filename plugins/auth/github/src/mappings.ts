/**
 * Team and user mappings as stored in the mount's storage: one JSON entry
 * per name at `map/teams/<name>` or `map/users/<name>`, with the name
 * lowercased, because GitHub compares team slugs and user logins
 * case-insensitively, and so does Vault's github method.
 *
 * The name `default` is special, as in Vault: the policies of
 * `map/teams/default` and `map/users/default` go to every user who logs in.
 */
import type { Storage } from '@coffer/sdk';

export type MapKind = 'teams' | 'users';

export interface MappingEntry {
  /** The name as the write spelled it. */
  key: string;
  /** Normalized policy names. */
  policies: string[];
}

/** The name whose policies every login gets, in both maps. */
export const DEFAULT_KEY = 'default';

function entryKey(kind: MapKind, name: string): string {
  return `map/${kind}/${name.toLowerCase()}`;
}

export async function readMapping(storage: Storage, kind: MapKind, name: string): Promise<MappingEntry | null> {
  const entry = await storage.get(entryKey(kind, name));
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as MappingEntry);
}

export async function writeMapping(storage: Storage, kind: MapKind, entry: MappingEntry): Promise<void> {
  await storage.put({ key: entryKey(kind, entry.key), value: Buffer.from(JSON.stringify(entry), 'utf8') });
}

export async function deleteMapping(storage: Storage, kind: MapKind, name: string): Promise<void> {
  await storage.delete(entryKey(kind, name));
}

export async function listMappings(storage: Storage, kind: MapKind): Promise<string[]> {
  return (await storage.list(`map/${kind}/`)).sort();
}

/**
 * Returns the policies mapped to any of `names` or to `default`, sorted and
 * without duplicates, as Vault's policy map does.
 */
export async function mappedPolicies(storage: Storage, kind: MapKind, names: readonly string[]): Promise<string[]> {
  const policies = new Set<string>();
  for (const name of new Set([...names, DEFAULT_KEY].map((item) => item.toLowerCase()))) {
    const entry = await readMapping(storage, kind, name);
    for (const policy of entry?.policies ?? []) policies.add(policy);
  }
  return [...policies].sort();
}

/** Splits a comma-separated list, then trims, lowercases, drops empty names and duplicates, and sorts. */
export function parsePolicies(value: string): string[] {
  return [...new Set(value.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== ''))].sort();
}
