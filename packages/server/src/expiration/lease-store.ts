/**
 * Lease persistence. Everything lives behind the barrier:
 * - `sys/expire/id/<lease id>`: the lease entry
 * - `sys/expire/token/<salted token id>/<sha256 of lease id>`: the lease ID,
 *   one per secret lease a token requested, so revoking a token finds them
 * - `sys/expire/auth/<salted token id>`: the ID of the token's auth lease
 */
import { badRequest, validateStorageKey, type Storage } from '@coffer/sdk';
import { decodeLeaseEntry, encodeLeaseEntry, sha256Hex, type LeaseEntry } from './lease-entry.js';

export const LEASE_PREFIX = 'sys/expire/id/';
export const TOKEN_INDEX_PREFIX = 'sys/expire/token/';
export const AUTH_INDEX_PREFIX = 'sys/expire/auth/';

/** One entry of the token index. */
export interface TokenIndexEntry {
  /** The storage key of the index entry. */
  key: string;
  saltedTokenId: string;
  leaseId: string;
}

export class LeaseStore {
  constructor(private readonly storage: Storage) {}

  /**
   * Loads a lease; `null` when none is stored under the ID.
   * @throws CofferError (400) when the ID cannot name a lease.
   */
  async load(leaseId: string): Promise<LeaseEntry | null> {
    const stored = await this.storage.get(leaseKey(leaseId));
    return stored === null ? null : decodeLeaseEntry(leaseId, stored.value);
  }

  async save(entry: LeaseEntry): Promise<void> {
    await this.storage.put({ key: leaseKey(entry.leaseId), value: encodeLeaseEntry(entry) });
  }

  async delete(leaseId: string): Promise<void> {
    await this.storage.delete(leaseKey(leaseId));
  }

  async addTokenIndex(saltedTokenId: string, leaseId: string): Promise<void> {
    await this.storage.put({ key: tokenIndexKey(saltedTokenId, leaseId), value: Buffer.from(leaseId) });
  }

  async removeTokenIndex(saltedTokenId: string, leaseId: string): Promise<void> {
    await this.storage.delete(tokenIndexKey(saltedTokenId, leaseId));
  }

  /** Returns the index entries of the secret leases a token requested. */
  async tokenIndex(saltedTokenId: string): Promise<TokenIndexEntry[]> {
    const folder = `${TOKEN_INDEX_PREFIX}${checkSegment(saltedTokenId)}/`;
    const entries: TokenIndexEntry[] = [];
    for (const name of await this.storage.list(folder)) {
      if (name.endsWith('/')) continue;
      const stored = await this.storage.get(folder + name);
      if (stored !== null) entries.push({ key: folder + name, saltedTokenId, leaseId: stored.value.toString('utf8') });
    }
    return entries;
  }

  /** Returns the salted IDs of every token with an index folder. */
  async indexedTokens(): Promise<string[]> {
    const folders = await this.storage.list(TOKEN_INDEX_PREFIX);
    return folders.filter((name) => name.endsWith('/')).map((name) => name.slice(0, -1));
  }

  async deleteKey(key: string): Promise<void> {
    await this.storage.delete(key);
  }

  async setAuthLease(saltedTokenId: string, leaseId: string): Promise<void> {
    await this.storage.put({ key: AUTH_INDEX_PREFIX + checkSegment(saltedTokenId), value: Buffer.from(leaseId) });
  }

  async authLease(saltedTokenId: string): Promise<string | null> {
    const stored = await this.storage.get(AUTH_INDEX_PREFIX + checkSegment(saltedTokenId));
    return stored === null ? null : stored.value.toString('utf8');
  }

  async removeAuthLease(saltedTokenId: string): Promise<void> {
    await this.storage.delete(AUTH_INDEX_PREFIX + checkSegment(saltedTokenId));
  }

  /** Returns the salted token IDs that have an auth lease pointer. */
  async authPointers(): Promise<string[]> {
    return (await this.storage.list(AUTH_INDEX_PREFIX)).filter((name) => !name.endsWith('/'));
  }

  /** Lists the children of a lease ID prefix, folder-style, like `Storage.list`. */
  async list(prefix: string): Promise<string[]> {
    return this.storage.list(LEASE_PREFIX + folderPrefix(prefix));
  }

  /** Returns the IDs of every lease under `prefix`, depth first. */
  async collect(prefix: string): Promise<string[]> {
    const folder = folderPrefix(prefix);
    const ids: string[] = [];
    for (const child of await this.storage.list(LEASE_PREFIX + folder)) {
      if (child.endsWith('/')) ids.push(...(await this.collect(folder + child)));
      else ids.push(folder + child);
    }
    return ids;
  }
}

/**
 * Returns the storage key of a lease.
 * @throws CofferError (400) naming the lease ID when it has an empty, `.` or `..` segment.
 */
export function leaseKey(leaseId: string): string {
  const key = LEASE_PREFIX + leaseId;
  const problem = validateStorageKey(key);
  if (problem !== null || leaseId === '') {
    throw badRequest(`invalid lease ID ${JSON.stringify(leaseId)}: use the lease_id a response returned, such as "db/creds/readonly/<id>"`);
  }
  return key;
}

function tokenIndexKey(saltedTokenId: string, leaseId: string): string {
  return `${TOKEN_INDEX_PREFIX}${checkSegment(saltedTokenId)}/${sha256Hex(leaseId)}`;
}

/**
 * Adds the trailing `/` that makes a prefix name a folder; '' stays the root.
 * @throws CofferError (400) for an empty, `.` or `..` segment.
 */
function folderPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const folder = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const segments = folder.slice(0, -1).split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw badRequest(`invalid lease prefix ${JSON.stringify(prefix)}: it must not contain empty, "." or ".." segments`);
  }
  return folder;
}

function checkSegment(saltedTokenId: string): string {
  if (saltedTokenId === '' || saltedTokenId.includes('/') || saltedTokenId === '.' || saltedTokenId === '..') {
    throw new Error('salted token ID must be one non-empty path segment');
  }
  return saltedTokenId;
}
