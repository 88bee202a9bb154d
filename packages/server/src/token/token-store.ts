/**
 * The token store. Token IDs are stored only as salted HMAC-SHA256 digests,
 * so storage never holds a usable token; accessors name a token without
 * revealing it. Entries are cached after their first lookup, so the hot
 * path decrypts a token once.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Storage } from '@coffer/sdk';

const SALT_PATH = 'core/token-salt';
const TOKEN_PREFIX = 'sys/token/id/';
const ACCESSOR_PREFIX = 'sys/token/accessor/';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export interface TokenEntry {
  accessor: string;
  policies: string[];
  path: string;
  displayName: string;
  /** Unix seconds. */
  creationTime: number;
  ttl: number;
  explicitMaxTtl: number;
  numUses: number;
  orphan: boolean;
  meta: Record<string, string> | null;
  type: 'service' | 'batch';
}

/** A looked-up token: its entry plus the ID the caller presented. */
export interface ResolvedToken {
  id: string;
  entry: TokenEntry;
}

/** Makes a random string of `length` base62 characters without modulo bias. */
export function randomBase62(length: number): string {
  let result = '';
  while (result.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && result.length < length) result += BASE62[byte % 62];
    }
  }
  return result;
}

export class TokenStore {
  private salt: Buffer | undefined;
  /** Found entries only: caching misses would let random tokens grow memory. */
  private readonly cache = new Map<string, TokenEntry>();

  constructor(private readonly storage: Storage) {}

  /** Loads or creates the salt; called at every unseal. */
  async setup(): Promise<void> {
    const stored = await this.storage.get(SALT_PATH);
    if (stored !== null) {
      this.salt = stored.value;
      return;
    }
    this.salt = randomBytes(32);
    await this.storage.put({ key: SALT_PATH, value: this.salt });
  }

  /** Drops the salt and cache; called at seal. */
  teardown(): void {
    this.salt = undefined;
    this.cache.clear();
  }

  /** Returns the salted digest of a token, the form backends and storage see. */
  saltedId(token: string): string {
    if (this.salt === undefined) throw new Error('token store is not set up');
    return createHmac('sha256', this.salt).update(token).digest('hex');
  }

  /** Creates a root token, with `id` when given (dev servers allow choosing it). */
  async createRoot(id?: string): Promise<string> {
    const token = id ?? `hvs.${randomBase62(24)}`;
    const entry: TokenEntry = {
      accessor: randomBase62(24),
      policies: ['root'],
      path: 'auth/token/root',
      displayName: 'root',
      creationTime: Math.floor(Date.now() / 1000),
      ttl: 0,
      explicitMaxTtl: 0,
      numUses: 0,
      orphan: true,
      meta: null,
      type: 'service',
    };
    await this.store(token, entry);
    return token;
  }

  /** Looks a token up; `null` when it is unknown. */
  async lookup(token: string): Promise<ResolvedToken | null> {
    if (token === '') return null;
    const salted = this.saltedId(token);
    let entry = this.cache.get(salted);
    if (entry === undefined) {
      const stored = await this.storage.get(TOKEN_PREFIX + salted);
      if (stored === null) return null;
      entry = JSON.parse(stored.value.toString('utf8')) as TokenEntry;
      this.cache.set(salted, entry);
    }
    return { id: token, entry };
  }

  private async store(token: string, entry: TokenEntry): Promise<void> {
    const salted = this.saltedId(token);
    await this.storage.put({ key: TOKEN_PREFIX + salted, value: Buffer.from(JSON.stringify(entry)) });
    await this.storage.put({ key: ACCESSOR_PREFIX + this.saltedId(entry.accessor), value: Buffer.from(salted) });
    this.cache.set(salted, entry);
  }
}
