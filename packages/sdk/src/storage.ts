/**
 * The physical storage interface that every storage backend implements.
 *
 * Keys are `/`-separated strings. The server only ever hands a backend
 * ciphertext produced by the barrier, so a backend never sees plaintext
 * except for the seal configuration.
 */

/** One key and its raw value. */
export interface StorageEntry {
  key: string;
  value: Buffer;
}

/**
 * A durable key/value store.
 *
 * Contract, shared by every backend and checked by the storage conformance
 * suite in `@coffer/certify`:
 * - `put` resolves only once the entry is durable; a crash after that point
 *   never loses it.
 * - `get` resolves to `null` for a missing key; it never throws for one.
 * - `delete` of a missing key succeeds.
 * - `list(prefix)` returns the immediate children of `prefix`, sorted, with
 *   sub-folders marked by a trailing `/` and listed once. `prefix` is either
 *   empty or ends with `/`.
 */
export interface Storage {
  get(key: string): Promise<StorageEntry | null>;
  put(entry: StorageEntry): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

/** A storage backend that owns resources such as file handles or connections. */
export interface ClosableStorage extends Storage {
  close(): Promise<void>;
}

/**
 * Computes the immediate children of `prefix` among `keys`, the way every
 * backend's `list` must report them: sorted, folders once with a trailing `/`.
 */
export function childrenOf(prefix: string, keys: Iterable<string>): string[] {
  const children = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf('/');
    children.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  return [...children].sort();
}

/**
 * Checks a storage key the way every backend must: non-empty, no leading
 * `/`, no empty segment and no `.` or `..` segment, so that a key can never
 * escape a view or the directory of a file backend.
 */
export function validateStorageKey(key: string): string | null {
  if (key.length === 0) return 'key must not be empty';
  if (key.startsWith('/')) return `key "${key}" must not start with "/"`;
  if (key.endsWith('/')) return `key "${key}" must not end with "/"`;
  for (const segment of key.split('/')) {
    if (segment === '') return `key "${key}" contains an empty segment`;
    if (segment === '.' || segment === '..') return `key "${key}" contains a "${segment}" segment`;
  }
  if (key.includes('\0')) return `key "${key}" contains a NUL character`;
  return null;
}

/**
 * A view of a storage that prefixes every key, so a mount sees only its own
 * entries and cannot name anything outside them.
 */
export class StorageView implements Storage {
  constructor(
    private readonly inner: Storage,
    readonly prefix: string,
  ) {
    if (prefix !== '' && !prefix.endsWith('/')) {
      throw new Error(`storage view prefix "${prefix}" must end with "/"`);
    }
  }

  async get(key: string): Promise<StorageEntry | null> {
    const entry = await this.inner.get(this.prefix + key);
    return entry === null ? null : { key, value: entry.value };
  }

  put(entry: StorageEntry): Promise<void> {
    return this.inner.put({ key: this.prefix + entry.key, value: entry.value });
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(this.prefix + key);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(this.prefix + prefix);
  }

  /** Returns a view nested below this one. */
  subView(prefix: string): StorageView {
    return new StorageView(this.inner, this.prefix + prefix);
  }
}

/**
 * The holder of an HA lock as storage records it.
 *
 * `held` is false when no contender holds the lock, or when the last holder's
 * lease has expired. `value` is the holder's lock value (Coffer uses the
 * active node's `api_addr`), and an empty string when `held` is false.
 */
export interface LockHolder {
  held: boolean;
  value: string;
}

/**
 * One contender's handle on a named lock in an {@link HaStorage}, as Vault's
 * `physical.Lock`. Create it with {@link HaStorage.lockWith}. A handle is
 * meant for one contender: call `lock`, and `unlock` once done or once lost.
 */
export interface Lock {
  /**
   * Waits until this contender holds the lock, then keeps it held (renewing
   * a lease in the background) until `unlock` is called or the lock is lost.
   *
   * @param abort - Stops the wait; `lock` then resolves to `undefined`
   *   without holding the lock.
   * @returns A signal that aborts when the lock is lost, for example because
   *   renewals failed for longer than the lock's TTL. Once it fires the
   *   holder must stop acting as the lock's owner at once: another contender
   *   may acquire the lock when the TTL runs out. `undefined` when `abort`
   *   fired first.
   * @throws Error when called while this handle already holds the lock.
   */
  lock(abort: AbortSignal): Promise<AbortSignal | undefined>;

  /**
   * Releases the lock so another contender can acquire it without waiting
   * for the TTL, and stops the renewals. Does nothing when the handle does
   * not hold the lock. A failure to reach storage is logged by the backend,
   * not thrown; the lock then expires after its TTL.
   */
  unlock(): Promise<void>;

  /**
   * Reads who holds the lock now, from storage rather than from this handle.
   *
   * @throws Error when storage cannot be reached.
   */
  value(): Promise<LockHolder>;
}

/**
 * A storage backend that also provides a distributed lock, as Vault's
 * `physical.HABackend`. Several servers on one such storage elect their
 * active node through it; see {@link isHaStorage}.
 */
export interface HaStorage extends Storage {
  /** True when the stanza enabled HA (`ha_enabled`); the lock must not be used otherwise. */
  haEnabled(): boolean;

  /**
   * Creates a handle on the lock named `key`, announcing `value` while held.
   * Creating a handle acquires nothing: call {@link Lock.lock}.
   *
   * @param key - The lock's name, e.g. `core/lock`.
   * @param value - What {@link Lock.value} reports while this handle holds
   *   the lock, e.g. the node's `api_addr`.
   */
  lockWith(key: string, value: string): Lock;
}

/** Returns true when `storage` implements {@link HaStorage} and HA is enabled in its settings. */
export function isHaStorage(storage: Storage): storage is HaStorage {
  const candidate = storage as Partial<HaStorage>;
  return typeof candidate.haEnabled === 'function' && typeof candidate.lockWith === 'function' && candidate.haEnabled();
}
