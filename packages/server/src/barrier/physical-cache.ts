/**
 * The physical read cache: a bounded LRU of storage entries that sits
 * between the barrier and the storage backend, as Vault's physical cache
 * does. It contains what the backend stores, i.e. ciphertext, never plaintext.
 * A `get` served from it skips the backend call, but the barrier still
 * decrypts the entry.
 *
 * The cache is sound only while this node is the sole writer of the keys it
 * caches. So it starts disabled: the core enables it when the node becomes
 * active, and disables it, dropping every entry, when the node seals or
 * steps down. While disabled, every call goes straight to the backend.
 *
 * Ordering rules that keep a cached entry equal to the backend's:
 * - A write removes the key from the cache before it calls the backend, so
 *   a failed write, or one whose outcome is unknown, leaves nothing cached.
 *   A write that succeeds caches the value it wrote only when no other write
 *   to the key overlapped it, because overlapping writes may commit in
 *   either order.
 * - A read caches what the backend returned only when no write to the key
 *   started and the cache was not cleared while it waited. A read that
 *   starts while a write to its key is pending goes to the backend and
 *   caches nothing.
 * - Concurrent reads of one key share one backend call. A write detaches
 *   that call, so reads that start after the write began make a new one.
 *
 * Absent keys are cached too (as `null`), under the same rules. `list`
 * always goes to the backend, because one write changes the listing of
 * every folder above it.
 */
import type { Storage, StorageEntry } from '@coffer/sdk';

export interface PhysicalCacheOptions {
  /** The maximum number of cached keys, absent ones included. At least 1. */
  maxEntries: number;
  /**
   * Keys that are never cached: a prefix ending in `/` matches every key
   * below it, any other string matches that key only. Use it for keys that
   * something other than this node's barrier writes.
   */
  uncached?: readonly string[];
}

/** One backend read that concurrent `get` calls of the same key share. */
interface PendingRead {
  promise: Promise<StorageEntry | null>;
  /** Set when a write to the key starts or the cache is cleared, so the result is not cached. */
  stale: boolean;
}

/** The writes to one key that have not settled yet. */
interface PendingWrites {
  count: number;
  /** Set when a write started while another was pending, so that none of them is cached. */
  overlapped: boolean;
}

/** Counters for tests and diagnostics. */
export interface PhysicalCacheStats {
  hits: number;
  misses: number;
}

/**
 * The cache in front of one storage backend. It keeps the buffers it is
 * given and returns them to every reader, so callers must not modify a value
 * passed to `put` or returned by `get`. The barrier, its only caller, never does.
 */
export class PhysicalCache implements Storage {
  /** Cached values by key, least recently used first. `null` marks a key the backend does not have. */
  private readonly entries = new Map<string, Buffer | null>();
  private readonly reads = new Map<string, PendingRead>();
  private readonly writes = new Map<string, PendingWrites>();
  private readonly maxEntries: number;
  private readonly uncachedKeys: Set<string>;
  private readonly uncachedPrefixes: string[];
  private enabled = false;
  /** Incremented by every clear, so a write that started before it caches nothing. */
  private generation = 0;
  readonly stats: PhysicalCacheStats = { hits: 0, misses: 0 };

  /** @throws Error when `maxEntries` is not a positive integer. */
  constructor(
    private readonly backend: Storage,
    options: PhysicalCacheOptions,
  ) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new Error(`invalid physical cache size ${options.maxEntries}: expected a positive integer`);
    }
    this.maxEntries = options.maxEntries;
    const uncached = options.uncached ?? [];
    this.uncachedKeys = new Set(uncached.filter((key) => !key.endsWith('/')));
    this.uncachedPrefixes = uncached.filter((key) => key.endsWith('/'));
  }

  /** The number of cached keys, absent ones included. */
  get size(): number {
    return this.entries.size;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Drops every entry and starts caching. Call it when this node becomes the sole writer. */
  enable(): void {
    this.clear();
    this.enabled = true;
  }

  /** Stops caching and drops every entry. Call it before this node stops being the sole writer. */
  disable(): void {
    this.enabled = false;
    this.clear();
  }

  /** Drops every entry, e.g. after storage was changed without going through this cache. */
  clear(): void {
    this.generation += 1;
    this.entries.clear();
    for (const read of this.reads.values()) read.stale = true;
    this.reads.clear();
  }

  async get(key: string): Promise<StorageEntry | null> {
    if (!this.enabled || !this.isCacheable(key)) return this.backend.get(key);

    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.stats.hits += 1;
      // Re-inserting moves the key to the most recently used end.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached === null ? null : { key, value: cached };
    }
    this.stats.misses += 1;
    if (this.writes.has(key)) return this.backend.get(key);

    const shared = this.reads.get(key);
    if (shared !== undefined) return shared.promise;
    return this.readAndRemember(key);
  }

  async put(entry: StorageEntry): Promise<void> {
    await this.write(entry.key, entry.value, () => this.backend.put(entry));
  }

  async delete(key: string): Promise<void> {
    await this.write(key, null, () => this.backend.delete(key));
  }

  list(prefix: string): Promise<string[]> {
    return this.backend.list(prefix);
  }

  private isCacheable(key: string): boolean {
    if (this.uncachedKeys.has(key)) return false;
    return !this.uncachedPrefixes.some((prefix) => key.startsWith(prefix));
  }

  private readAndRemember(key: string): Promise<StorageEntry | null> {
    const read: PendingRead = { promise: this.backend.get(key), stale: false };
    this.reads.set(key, read);
    const settle = (): void => {
      if (this.reads.get(key) === read) this.reads.delete(key);
    };
    read.promise = read.promise.then(
      (entry) => {
        settle();
        if (!read.stale) this.remember(key, entry === null ? null : entry.value);
        return entry;
      },
      (err: unknown) => {
        settle();
        throw err;
      },
    );
    return read.promise;
  }

  /**
   * Runs one backend write of `key`. The key is tracked even while the
   * cache is disabled, so that a write begun before {@link enable} still
   * keeps reads that start after it from caching the old value.
   */
  private async write(key: string, value: Buffer | null, call: () => Promise<void>): Promise<void> {
    if (!this.isCacheable(key)) return call();

    const generation = this.generation;
    this.entries.delete(key);
    const read = this.reads.get(key);
    if (read !== undefined) {
      read.stale = true;
      this.reads.delete(key);
    }
    let pending = this.writes.get(key);
    if (pending === undefined) {
      pending = { count: 0, overlapped: false };
      this.writes.set(key, pending);
    } else {
      pending.overlapped = true;
    }
    pending.count += 1;

    let succeeded = false;
    try {
      await call();
      succeeded = true;
    } finally {
      pending.count -= 1;
      if (pending.count === 0) {
        this.writes.delete(key);
        if (succeeded && !pending.overlapped && generation === this.generation) this.remember(key, value);
      }
    }
  }

  private remember(key: string, value: Buffer | null): void {
    if (!this.enabled) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size <= this.maxEntries) return;
    // Map iteration follows insertion order, so the first key is the least recently used.
    const oldest = this.entries.keys().next();
    if (oldest.done !== true) this.entries.delete(oldest.value);
  }
}
