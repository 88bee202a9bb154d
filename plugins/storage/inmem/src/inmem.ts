/**
 * The inmem storage backend: a map in process memory. Nothing survives a
 * restart, so it serves dev servers and tests.
 */
import { childrenOf, validateStorageKey, type ClosableStorage, type StorageEntry } from '@coffer/sdk';

/** Storage in a `Map`, copying values in and out so callers never share a buffer with it. */
export class InmemStorage implements ClosableStorage {
  private readonly entries = new Map<string, Buffer>();

  async get(key: string): Promise<StorageEntry | null> {
    checkKey(key);
    const value = this.entries.get(key);
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

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    return childrenOf(prefix, this.entries.keys());
  }

  async close(): Promise<void> {}

  /**
   * Returns a copy of every entry, ordered by key, so that a test can show
   * that a rejected request changed nothing.
   */
  snapshot(): Map<string, Buffer> {
    const keys = [...this.entries.keys()].sort();
    return new Map(keys.map((key) => [key, Buffer.from(this.entries.get(key)!)]));
  }
}

/** Throws for a key that `validateStorageKey` refuses or that is not well-formed unicode. */
function checkKey(key: string): void {
  const problem = validateStorageKey(key) ?? wellFormed(key);
  if (problem !== null) throw new Error(`storage "inmem": invalid key: ${problem}`);
}

/** Throws unless `prefix` is empty or a valid key followed by `/`. */
function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  const folder = prefix.slice(0, -1);
  const problem = prefix.endsWith('/') ? (validateStorageKey(folder) ?? wellFormed(folder)) : 'must be empty or end with "/"';
  if (problem !== null) throw new Error(`storage "inmem": invalid list prefix ${JSON.stringify(prefix)}: ${problem}`);
}

/** Other backends store keys as UTF-8, which has no form for a lone surrogate; refuse them here too. */
function wellFormed(key: string): string | null {
  return /\p{Surrogate}/u.test(key) ? `key ${JSON.stringify(key)} is not well-formed unicode` : null;
}
