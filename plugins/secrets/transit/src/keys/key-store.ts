/**
 * Loading, caching and changing key policies. Each key is one storage entry
 * at `policy/<name>`, which the server's barrier encrypts, so a cached
 * policy saves one storage read and one decryption per request.
 *
 * Changes to one key run one at a time (see {@link KeyedLock}) and build a new
 * policy that replaces the cached one only after it is durable, so a failed
 * change leaves both storage and cache as they were. Reads take no lock.
 * A read that loaded an entry while a change was being written does not
 * cache what it loaded, because the per-name generation counter shows that
 * the entry may be stale.
 */
import { badRequest, internalError, KeyedLock, type Storage } from '@coffer/sdk';
import type { Clock } from '../clock.js';
import { generateKeyVersion } from './key-material.js';
import { clonePolicy, type DraftPolicy, type KeyPolicy, type KeyVersion } from './key-policy.js';
import type { KeyType } from './key-types.js';
import { parsePolicy, serializePolicy } from './serialize.js';

const POLICY_PREFIX = 'policy/';

/** The settings of a new key, fixed at creation except where `keys/:name/config` may change them. */
export interface KeySpec {
  type: KeyType;
  derived: boolean;
  convergentEncryption: boolean;
  exportable: boolean;
  allowPlaintextBackup: boolean;
  /** Seconds between automatic rotations, or 0 for none. */
  autoRotatePeriod: number;
  /** Key length in bytes of an `hmac` key, and 0 for other types. */
  keySize: number;
}

/** Returns the storage key of a key policy. */
function policyStorageKey(name: string): string {
  return POLICY_PREFIX + name;
}

export class KeyStore {
  private readonly cache = new Map<string, KeyPolicy>();
  private readonly generations = new Map<string, number>();
  private readonly locks = new KeyedLock();
  /** Maximum number of policies kept in memory, or 0 for no limit. */
  private cacheSize = 0;

  constructor(private readonly clock: Clock) {}

  /**
   * Returns the named policy, from the cache or from storage.
   * @throws CofferError (500) when the stored entry cannot be parsed.
   */
  async get(storage: Storage, name: string): Promise<KeyPolicy | null> {
    const cached = this.cache.get(name);
    if (cached !== undefined) {
      if (this.cacheSize > 0) this.touch(name, cached);
      return cached;
    }

    const generation = this.generation(name);
    const entry = await storage.get(policyStorageKey(name));
    if (entry === null) return null;
    let policy: KeyPolicy;
    try {
      policy = parsePolicy(entry.value, false);
    } catch (err) {
      throw internalError(`stored key "${name}" cannot be read: ${(err as Error).message}`);
    }
    if (this.generation(name) === generation) this.remember(name, policy);
    return policy;
  }

  /** Returns the names of all keys, sorted. */
  async list(storage: Storage): Promise<string[]> {
    return storage.list(POLICY_PREFIX);
  }

  /**
   * Creates a key with its first version unless one of that name exists.
   * @returns the key, and whether this call created it.
   */
  async create(storage: Storage, name: string, spec: KeySpec): Promise<{ policy: KeyPolicy; created: boolean }> {
    return this.locks.run(name, async () => {
      const existing = await this.get(storage, name);
      if (existing !== null) return { policy: existing, created: false };

      const first = await generateKeyVersion(spec.type, {
        createdAt: this.clock.now(),
        keySize: spec.keySize,
        convergent: spec.convergentEncryption,
      });
      const policy = newPolicy(name, spec, first, { imported: false, allowImportedKeyRotation: false });
      await this.persist(storage, policy);
      return { policy, created: true };
    });
  }

  /**
   * Creates an imported key whose first version is `first`, unless a key of
   * that name exists.
   * @param allowRotation - Whether the engine may add generated versions by rotation.
   * @returns the key, or null when one of that name exists and nothing was written.
   */
  async createImported(storage: Storage, name: string, spec: KeySpec, first: KeyVersion, allowRotation: boolean): Promise<KeyPolicy | null> {
    return this.locks.run(name, async () => {
      if ((await this.get(storage, name)) !== null) return null;
      const policy = newPolicy(name, spec, first, { imported: true, allowImportedKeyRotation: allowRotation });
      await this.persist(storage, policy);
      return policy;
    });
  }

  /**
   * Applies `change` to a copy of the named key and persists the copy. When
   * `change` throws, nothing is written and the error propagates; when it
   * returns false, nothing is written and the current key is returned.
   * @returns the key after the change, or null when there is no such key.
   */
  async update(
    storage: Storage,
    name: string,
    change: (draft: DraftPolicy, current: KeyPolicy) => Promise<void | boolean> | void | boolean,
  ): Promise<KeyPolicy | null> {
    return this.locks.run(name, async () => {
      const current = await this.get(storage, name);
      if (current === null) return null;
      const draft = clonePolicy(current);
      if ((await change(draft, current)) === false) return current;
      await this.persist(storage, draft);
      return draft;
    });
  }

  /**
   * Deletes the named key after `check` accepts it.
   * @returns false when there is no such key.
   */
  async delete(storage: Storage, name: string, check: (policy: KeyPolicy) => void): Promise<boolean> {
    return this.locks.run(name, async () => {
      const current = await this.get(storage, name);
      if (current === null) return false;
      check(current);

      this.bump(name);
      await storage.delete(policyStorageKey(name));
      this.bump(name);
      this.cache.delete(name);
      return true;
    });
  }

  /**
   * Stores `policy` under its name, for a restore. `check` receives the key
   * that exists under that name, if any, and may reject the restore.
   */
  async replace(storage: Storage, policy: KeyPolicy, check: (existing: KeyPolicy | null) => void): Promise<void> {
    await this.locks.run(policy.name, async () => {
      check(await this.get(storage, policy.name));
      await this.persist(storage, policy);
    });
  }

  /**
   * Adds a version with new key material to a draft, as a rotation.
   * @throws CofferError (400) when the key was imported without
   *   `allow_rotation`, with Vault's message, or when the next version
   *   would pass 2^53 - 1 (see {@link appendVersion}).
   */
  async addVersion(draft: DraftPolicy): Promise<void> {
    if (!mayRotate(draft)) throw badRequest(`imported key ${draft.name} does not allow rotation within Vault`);
    checkNextVersion(draft);
    const version = await generateKeyVersion(draft.type, {
      createdAt: this.clock.now(),
      keySize: draft.keySize,
      convergent: draft.convergentEncryption,
    });
    appendVersion(draft, version);
  }

  /** Drops the cached copy of a key that another node changed, given its storage key. */
  invalidate(storageKey: string): void {
    if (!storageKey.startsWith(POLICY_PREFIX)) return;
    const name = storageKey.slice(POLICY_PREFIX.length);
    this.bump(name);
    this.cache.delete(name);
  }

  /** Sets the most policies kept in memory (0 for no limit) and empties the cache. */
  setCacheSize(size: number): void {
    this.cacheSize = size;
    for (const name of this.cache.keys()) this.bump(name);
    this.cache.clear();
  }

  private async persist(storage: Storage, policy: KeyPolicy): Promise<void> {
    // Bumping before and after the write keeps a concurrent read from
    // caching the entry it loaded while the write was in flight.
    this.bump(policy.name);
    await storage.put({ key: policyStorageKey(policy.name), value: serializePolicy(policy) });
    this.bump(policy.name);
    this.remember(policy.name, policy);
  }

  private remember(name: string, policy: KeyPolicy): void {
    this.cache.delete(name);
    this.cache.set(name, policy);
    if (this.cacheSize > 0 && this.cache.size > this.cacheSize) {
      // A Map iterates in insertion order, so the first key is the least recently used.
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }

  private touch(name: string, policy: KeyPolicy): void {
    this.cache.delete(name);
    this.cache.set(name, policy);
  }

  private generation(name: string): number {
    return this.generations.get(name) ?? 0;
  }

  private bump(name: string): void {
    this.generations.set(name, this.generation(name) + 1);
  }
}

/** Returns whether the engine may add generated versions to a key: every key but one imported without `allow_rotation`. */
export function mayRotate(policy: KeyPolicy): boolean {
  return !policy.imported || policy.allowImportedKeyRotation;
}

/**
 * Adds `version` to a draft as its new latest version.
 * @throws CofferError (400) when the next version would pass 2^53 - 1:
 *   loops over versions never end past it. Only a crafted backup gets that far.
 */
export function appendVersion(draft: DraftPolicy, version: KeyVersion): void {
  checkNextVersion(draft);
  draft.latestVersion += 1;
  draft.versions.set(draft.latestVersion, version);
}

function checkNextVersion(draft: DraftPolicy): void {
  if (draft.latestVersion >= Number.MAX_SAFE_INTEGER) {
    throw badRequest(`key "${draft.name}" is at version ${draft.latestVersion}, the highest a key can have, so it cannot rotate`);
  }
}

function newPolicy(
  name: string,
  spec: KeySpec,
  first: KeyVersion,
  origin: Pick<KeyPolicy, 'imported' | 'allowImportedKeyRotation'>,
): KeyPolicy {
  return {
    name,
    ...spec,
    ...origin,
    deletionAllowed: false,
    minDecryptionVersion: 1,
    minEncryptionVersion: 0,
    minAvailableVersion: 0,
    latestVersion: 1,
    backupInfo: null,
    restoreInfo: null,
    versions: new Map([[1, first]]),
  };
}
