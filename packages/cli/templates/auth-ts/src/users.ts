/**
 * Users in the mount's storage, with scrypt password hashes. Coffer
 * encrypts every entry, and the hash keeps a leaked backup from giving
 * away passwords.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Storage } from '@coffer/sdk';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;
const HASH_BYTES = 32;
const PREFIX = 'users/';

/** A stored user. */
export interface User {
  salt: string;
  hash: string;
  policies: string[];
  /** Token TTL and max TTL, in seconds; 0 takes the mount's. */
  ttl: number;
  maxTtl: number;
}

export async function hashPassword(password: string, salt: Buffer = randomBytes(16)): Promise<{ salt: string; hash: string }> {
  const hash = await scryptAsync(password, salt, HASH_BYTES);
  return { salt: salt.toString('base64'), hash: hash.toString('base64') };
}

/** Compares in constant time, so the time taken does not reveal how much of the hash matched. */
export async function passwordMatches(user: User, password: string): Promise<boolean> {
  const { hash } = await hashPassword(password, Buffer.from(user.salt, 'base64'));
  return timingSafeEqual(Buffer.from(hash, 'base64'), Buffer.from(user.hash, 'base64'));
}

export async function readUser(storage: Storage, name: string): Promise<User | null> {
  const entry = await storage.get(PREFIX + name);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as User);
}

export async function writeUser(storage: Storage, name: string, user: User): Promise<void> {
  await storage.put({ key: PREFIX + name, value: Buffer.from(JSON.stringify(user)) });
}

export async function deleteUser(storage: Storage, name: string): Promise<void> {
  await storage.delete(PREFIX + name);
}
