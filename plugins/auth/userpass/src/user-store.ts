/**
 * Users as stored in the mount's storage: one JSON entry per user at
 * `user/<lowercased name>`, holding the argon2id hash of the password and
 * the token settings. The password itself is never stored.
 */
import type { Storage, TokenSettings } from '@coffer/sdk';

export interface UserEntry extends TokenSettings {
  /** The argon2id hash as a PHC string (`$argon2id$v=19$m=...`). */
  passwordHash: string;
}

const USER_PREFIX = 'user/';

export async function readUser(storage: Storage, username: string): Promise<UserEntry | null> {
  const entry = await storage.get(USER_PREFIX + username);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as UserEntry);
}

export async function writeUser(storage: Storage, username: string, user: UserEntry): Promise<void> {
  await storage.put({ key: USER_PREFIX + username, value: Buffer.from(JSON.stringify(user)) });
}

export async function deleteUser(storage: Storage, username: string): Promise<void> {
  await storage.delete(USER_PREFIX + username);
}

export async function listUsers(storage: Storage): Promise<string[]> {
  return storage.list(USER_PREFIX);
}
