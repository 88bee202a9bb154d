/**
 * The token store. Token IDs are stored only as salted HMAC-SHA256 digests,
 * so storage never contains a usable token; accessors name a token without
 * revealing it. Entries are cached after their first lookup, so the hot
 * path decrypts a token once.
 *
 * Storage layout, all behind the barrier:
 * - `sys/token/id/<salted id>`: the entry
 * - `sys/token/accessor/<salted accessor>`: the accessor and the salted id
 * - `sys/token/parent/<salted parent id>/<salted child id>`: the revocation tree
 *
 * Batch tokens are not stored: the token itself is the entry, encrypted and
 * authenticated under a key kept at `sys/token/batch-key`.
 *
 * The salted IDs of service tokens that were found are cached by token
 * (see `SaltedIdCache`), so a token seen before costs no HMAC.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { badRequest, KeyedLock, type Logger, type Storage } from '@coffer/sdk';
import { open, seal, KEY_BYTES } from '../barrier/aead.js';
import { SaltedIdCache } from './salted-id-cache.js';
import type { ResolvedToken, TokenEntry } from './token-entry.js';

const SALT_PATH = 'core/token-salt';
const BATCH_KEY_PATH = 'sys/token/batch-key';
const TOKEN_PREFIX = 'sys/token/id/';
const ACCESSOR_PREFIX = 'sys/token/accessor/';
const PARENT_PREFIX = 'sys/token/parent/';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SERVICE_PREFIX = 'hvs.';
const BATCH_PREFIX = 'hvb.';
/** The maximum number of service tokens whose salted IDs are kept in memory. */
const SALTED_ID_CACHE_SIZE = 4096;

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

/** Callbacks into the rest of the core, run when a token is revoked. */
export interface TokenRevocationHooks {
  /** Revokes every lease the token created. */
  revokeLeases(saltedId: string): Promise<void>;
  /** Deletes the token's cubbyhole. */
  destroyCubbyhole(cubbyholeId: string): Promise<void>;
}

/** The outcome of spending one use of a token. */
export type TokenUse = 'allowed' | 'last' | 'exhausted';

interface AccessorEntry {
  accessor: string;
  saltedId: string;
}

/** Returns false for a token that has expired or whose last use is done. */
function isUsable(entry: TokenEntry, now: number): boolean {
  // -1 uses left marks a token whose last use is done and whose revocation is pending.
  if (entry.numUses === -1) return false;
  return entry.expireTime === 0 || entry.expireTime > now;
}

export class TokenStore {
  private salt: Buffer | undefined;
  private batchKey: Buffer | undefined;
  /** Found entries only: caching misses would let random tokens grow memory. */
  private readonly cache = new Map<string, TokenEntry>();
  /** Salted IDs by token in clear. Setup and teardown empty it, and a revocation drops its token. */
  private readonly saltedIds = new SaltedIdCache(SALTED_ID_CACHE_SIZE);
  /** Locks by salted ID that serialize the spending of uses. */
  private readonly useLocks = new KeyedLock();
  private hooks: TokenRevocationHooks = { revokeLeases: async () => {}, destroyCubbyhole: async () => {} };

  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
  ) {}

  setHooks(hooks: TokenRevocationHooks): void {
    this.hooks = hooks;
  }

  /** Loads or creates the salt and batch key; called at every unseal. */
  async setup(): Promise<void> {
    this.saltedIds.clear();
    this.salt = await this.loadOrCreateKey(SALT_PATH);
    this.batchKey = await this.loadOrCreateKey(BATCH_KEY_PATH);
  }

  /** Drops keys and cache; called at seal. */
  teardown(): void {
    this.salt = undefined;
    this.batchKey = undefined;
    this.cache.clear();
    this.saltedIds.clear();
  }

  /** How many tokens have their salted IDs cached; the cache tests read it. */
  get cachedSaltedIds(): number {
    return this.saltedIds.size;
  }

  /** Returns the salted digest of a value, the form storage and backends see. */
  saltedId(value: string): string {
    if (this.salt === undefined) throw new Error('token store is not set up');
    return createHmac('sha256', this.salt).update(value).digest('hex');
  }

  /** Creates and stores a token from `entry` (without its salted id, accessor or cubbyhole), returning the token ID. */
  async create(fields: Omit<TokenEntry, 'saltedId' | 'accessor' | 'cubbyholeId'>, id?: string): Promise<{ token: string; entry: TokenEntry }> {
    if (fields.type === 'batch') return this.createBatch(fields);

    const token = id ?? `${SERVICE_PREFIX}${randomBase62(24)}`;
    const saltedId = this.saltedId(token);
    if ((await this.loadEntry(saltedId)) !== null) throw badRequest('cannot create a token with a duplicate ID');

    const entry: TokenEntry = { ...fields, saltedId, accessor: randomBase62(24), cubbyholeId: randomUUID() };
    // Index entries first, the token last: a crash leaves at worst an index
    // entry that tidy removes, never a token that revocation cannot find.
    await this.putJson(ACCESSOR_PREFIX + this.saltedId(entry.accessor), { accessor: entry.accessor, saltedId } satisfies AccessorEntry);
    if (entry.parent !== '') await this.storage.put({ key: `${PARENT_PREFIX}${entry.parent}/${saltedId}`, value: Buffer.alloc(0) });
    await this.putJson(TOKEN_PREFIX + saltedId, entry);
    this.cache.set(saltedId, entry);
    return { token, entry };
  }

  /** Creates a root token, with `id` when given (dev servers allow choosing it). */
  async createRoot(id?: string): Promise<string> {
    const { token } = await this.create(
      {
        parent: '',
        policies: ['root'],
        path: 'auth/token/root',
        meta: null,
        displayName: 'root',
        numUses: 0,
        creationTime: Math.floor(Date.now() / 1000),
        creationTtl: 0,
        expireTime: 0,
        lastRenewalTime: 0,
        explicitMaxTtl: 0,
        period: 0,
        renewable: false,
        type: 'service',
        role: '',
        entityId: '',
        boundCidrs: [],
      },
      id,
    );
    return token;
  }

  /** Looks a token up; `null` when it is unknown, expired or revoked. */
  async lookup(token: string, now = Date.now()): Promise<ResolvedToken | null> {
    if (token === '') return null;
    if (token.startsWith(BATCH_PREFIX)) {
      const batchEntry = await this.openBatch(token);
      return batchEntry !== null && isUsable(batchEntry, now) ? { id: token, entry: batchEntry } : null;
    }

    const cachedId = this.saltedIds.get(token)?.saltedId;
    const saltedId = cachedId ?? this.saltedId(token);
    const entry = await this.loadEntry(saltedId);
    if (entry === null || !isUsable(entry, now)) return null;
    // Cache the ID only while the entry is still cached, because a revocation
    // that ran during the load has already forgotten the token.
    if (cachedId === undefined && this.cache.get(saltedId) === entry) this.saltedIds.add(token, saltedId);
    return { id: token, entry };
  }

  /**
   * Returns the client token that backends of the mount at `mountPoint` see
   * for `token`. It is a salted digest that differs from mount to mount.
   */
  clientTokenFor(token: string, mountPoint: string): string {
    const ids = this.saltedIds.get(token);
    const cached = ids?.clientTokens.get(mountPoint);
    if (cached !== undefined) return cached;

    const clientToken = this.saltedId(`${mountPoint}:${token}`);
    ids?.clientTokens.set(mountPoint, clientToken);
    return clientToken;
  }

  /** Looks a stored token up by its salted ID. */
  async lookupSalted(saltedId: string): Promise<TokenEntry | null> {
    return this.loadEntry(saltedId);
  }

  async lookupByAccessor(accessor: string): Promise<TokenEntry | null> {
    if (accessor === '') return null;
    const index = await this.getJson<AccessorEntry>(ACCESSOR_PREFIX + this.saltedId(accessor));
    if (index === null) return null;
    return this.loadEntry(index.saltedId);
  }

  /** Lists every accessor. */
  async listAccessors(): Promise<string[]> {
    const accessors: string[] = [];
    for (const key of await this.storage.list(ACCESSOR_PREFIX)) {
      const index = await this.getJson<AccessorEntry>(ACCESSOR_PREFIX + key);
      if (index !== null) accessors.push(index.accessor);
    }
    return accessors.sort();
  }

  /** Rewrites a stored entry, e.g. after a renewal. */
  async update(entry: TokenEntry): Promise<void> {
    if (entry.type === 'batch') throw new Error('batch tokens cannot be changed');
    await this.putJson(TOKEN_PREFIX + entry.saltedId, entry);
    this.cache.set(entry.saltedId, entry);
  }

  /**
   * Spends one use of a limited-use token, rereading its entry under a lock
   * because concurrent requests may hold the same stale entry. Returns `last`
   * for the last use, to revoke after the request, and `exhausted` to deny.
   */
  async use(entry: TokenEntry): Promise<TokenUse> {
    if (entry.numUses === 0) return 'allowed';
    return this.useLocks.run(entry.saltedId, async () => {
      const current = await this.loadEntry(entry.saltedId);
      if (current === null || current.numUses === -1) return 'exhausted';
      if (current.numUses === 0) return 'allowed';

      const left = current.numUses - 1;
      // -1 marks a used-up token until its revocation is done.
      await this.update({ ...current, numUses: left === 0 ? -1 : left });
      return left === 0 ? 'last' : 'allowed';
    });
  }

  /** Revokes a token and, unless they are orphans, all its descendants, with their leases. */
  async revokeTree(saltedId: string): Promise<void> {
    for (const child of await this.storage.list(`${PARENT_PREFIX}${saltedId}/`)) {
      await this.revokeTree(child);
    }
    await this.revokeOne(saltedId);
  }

  /** Revokes a token and makes its children orphans. */
  async revokeOrphan(saltedId: string): Promise<void> {
    for (const child of await this.storage.list(`${PARENT_PREFIX}${saltedId}/`)) {
      const entry = await this.loadEntry(child);
      if (entry !== null) await this.update({ ...entry, parent: '' });
      await this.storage.delete(`${PARENT_PREFIX}${saltedId}/${child}`);
    }
    await this.revokeOne(saltedId);
  }

  /** Removes index entries that point at no token and tokens past their expiry. */
  async tidy(now = Date.now()): Promise<{ accessors: number; parents: number; expired: number }> {
    const removed = { accessors: 0, parents: 0, expired: 0 };
    for (const key of await this.storage.list(ACCESSOR_PREFIX)) {
      const index = await this.getJson<AccessorEntry>(ACCESSOR_PREFIX + key);
      if (index === null || (await this.loadEntry(index.saltedId)) === null) {
        await this.storage.delete(ACCESSOR_PREFIX + key);
        removed.accessors += 1;
      }
    }
    for (const parent of await this.storage.list(PARENT_PREFIX)) {
      const parentId = parent.replace(/\/$/, '');
      const parentAlive = (await this.loadEntry(parentId)) !== null;
      for (const child of await this.storage.list(`${PARENT_PREFIX}${parent}`)) {
        if (!parentAlive || (await this.loadEntry(child)) === null) {
          await this.storage.delete(`${PARENT_PREFIX}${parent}${child}`);
          removed.parents += 1;
          if (!parentAlive) await this.revokeTree(child);
        }
      }
    }
    for (const saltedId of await this.storage.list(TOKEN_PREFIX)) {
      const entry = await this.loadEntry(saltedId);
      if (entry !== null && entry.expireTime !== 0 && entry.expireTime <= now) {
        await this.revokeTree(saltedId);
        removed.expired += 1;
      }
    }
    this.logger.info(removed, 'token store tidied');
    return removed;
  }

  private async revokeOne(saltedId: string): Promise<void> {
    const entry = await this.loadEntry(saltedId);
    if (entry === null) return;
    await this.hooks.revokeLeases(saltedId);
    await this.hooks.destroyCubbyhole(entry.cubbyholeId);
    await this.storage.delete(ACCESSOR_PREFIX + this.saltedId(entry.accessor));
    if (entry.parent !== '') await this.storage.delete(`${PARENT_PREFIX}${entry.parent}/${saltedId}`);
    await this.storage.delete(TOKEN_PREFIX + saltedId);
    this.cache.delete(saltedId);
    this.saltedIds.forget(saltedId);
    this.logger.info({ accessor: entry.accessor, path: entry.path }, 'token revoked');
  }

  private async createBatch(fields: Omit<TokenEntry, 'saltedId' | 'accessor' | 'cubbyholeId'>): Promise<{ token: string; entry: TokenEntry }> {
    if (this.batchKey === undefined) throw new Error('token store is not set up');
    const entry: TokenEntry = { ...fields, saltedId: '', accessor: '', cubbyholeId: '' };
    const sealed = seal(this.batchKey, Buffer.from(JSON.stringify(entry)), 'batch-token');
    const token = `${BATCH_PREFIX}${sealed.toString('base64url')}`;
    return { token, entry: { ...entry, saltedId: this.saltedId(token) } };
  }

  private async openBatch(token: string): Promise<TokenEntry | null> {
    if (this.batchKey === undefined) throw new Error('token store is not set up');
    let entry: TokenEntry;
    try {
      const plain = open(this.batchKey, Buffer.from(token.slice(BATCH_PREFIX.length), 'base64url'), 'batch-token');
      entry = JSON.parse(plain.toString('utf8')) as TokenEntry;
    } catch {
      return null;
    }
    // A batch token dies with its parent.
    if (entry.parent !== '' && (await this.loadEntry(entry.parent)) === null) return null;
    return { ...entry, saltedId: this.saltedId(token) };
  }

  private async loadEntry(saltedId: string): Promise<TokenEntry | null> {
    const cached = this.cache.get(saltedId);
    if (cached !== undefined) return cached;
    const entry = await this.getJson<TokenEntry>(TOKEN_PREFIX + saltedId);
    if (entry !== null) this.cache.set(saltedId, entry);
    return entry;
  }

  private async loadOrCreateKey(path: string): Promise<Buffer> {
    const stored = await this.storage.get(path);
    if (stored !== null) return stored.value;
    const key = randomBytes(KEY_BYTES);
    await this.storage.put({ key: path, value: key });
    return key;
  }

  private async getJson<T>(key: string): Promise<T | null> {
    const stored = await this.storage.get(key);
    return stored === null ? null : (JSON.parse(stored.value.toString('utf8')) as T);
  }

  private async putJson(key: string, value: unknown): Promise<void> {
    await this.storage.put({ key, value: Buffer.from(JSON.stringify(value)) });
  }
}
