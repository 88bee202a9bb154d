/**
 * A store in a `Map`: the smallest backend that keeps the storage contract.
 * Replace the map with your database; keep the key checks and the copies.
 */
import { childrenOf, validateStorageKey, type ClosableStorage, type StorageEntry } from '@coffer/sdk';

export class MapStore implements ClosableStorage {
  private readonly entries = new Map<string, Buffer>();

  async get(key: string): Promise<StorageEntry | null> {
    checkKey(key);
    const value = this.entries.get(key);
    // A copy, so a caller that changes the buffer does not change the store.
    return value === undefined ? null : { key, value: Buffer.from(value) };
  }

  async put(entry: StorageEntry): Promise<void> {
    checkKey(entry.key);
    this.entries.set(entry.key, Buffer.from(entry.value));
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    this.entries.delete(key);
  }

  /** Returns the direct children of `prefix`: keys, and folders once with a trailing `/`. */
  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    return childrenOf(prefix, this.entries.keys());
  }

  async close(): Promise<void> {}
}

function checkKey(key: string): void {
  const problem = validateStorageKey(key) ?? wellFormed(key);
  if (problem !== null) throw new Error(`storage "__NAME__": invalid key: ${problem}`);
}

function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  const folder = prefix.slice(0, -1);
  const problem = prefix.endsWith('/') ? (validateStorageKey(folder) ?? wellFormed(folder)) : 'must be empty or end with "/"';
  if (problem !== null) throw new Error(`storage "__NAME__": invalid list prefix ${JSON.stringify(prefix)}: ${problem}`);
}

/** Keys are UTF-8 in most databases, which has no form for a lone surrogate. */
function wellFormed(key: string): string | null {
  return /\p{Surrogate}/u.test(key) ? `key ${JSON.stringify(key)} is not well-formed unicode` : null;
}
