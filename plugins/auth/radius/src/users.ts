/**
 * Users as stored in the mount's storage: one JSON entry per user at
 * `user/<lowercased name>` with the user's policies. Names are
 * case-insensitive, as in Vault.
 */
import type { Storage } from '@coffer/sdk';

export interface UserEntry {
  policies: string[];
}

const USER_PREFIX = 'user/';

export async function readUser(storage: Storage, name: string): Promise<UserEntry | null> {
  const entry = await storage.get(USER_PREFIX + name.toLowerCase());
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as UserEntry);
}

export async function writeUser(storage: Storage, name: string, user: UserEntry): Promise<void> {
  await storage.put({ key: USER_PREFIX + name.toLowerCase(), value: Buffer.from(JSON.stringify(user), 'utf8') });
}

export async function deleteUser(storage: Storage, name: string): Promise<void> {
  await storage.delete(USER_PREFIX + name.toLowerCase());
}

export async function listUsers(storage: Storage): Promise<string[]> {
  return storage.list(USER_PREFIX);
}

/** Trims, lowercases, drops empty names and duplicates, and sorts; `root` alone stays when present. */
export function parsePolicies(policies: readonly string[]): string[] {
  const names = [...new Set(policies.map((name) => name.trim().toLowerCase()).filter((name) => name !== ''))].sort();
  return names.includes('root') ? ['root'] : names;
}

/**
 * Returns Vault's error for policies that include root, which no login may
 * get, or `null`. `field` names the request field that set them.
 */
export function rootPolicyProblem(field: string, policies: readonly string[]): string | null {
  return policies.includes('root') ? `root policy cannot be granted by an auth method: remove "root" from "${field}"` : null;
}
