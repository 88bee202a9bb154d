/** A map-backed storage and a request builder for unit tests. */
import { childrenOf, type Operation, type Request, type Storage, type StorageEntry } from '@coffer/sdk';

/** Storage in a map, keeping the storage contract: sorted lists one level deep. */
export class MapStorage implements Storage {
  readonly entries = new Map<string, Buffer>();

  async get(key: string): Promise<StorageEntry | null> {
    const value = this.entries.get(key);
    return value === undefined ? null : { key, value: Buffer.from(value) };
  }

  async put(entry: StorageEntry): Promise<void> {
    this.entries.set(entry.key, Buffer.from(entry.value));
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return childrenOf(prefix, this.entries.keys());
  }
}

/** Builds a request as Coffer sends it to a backend mounted at `__NAME__/`. */
export function makeRequest(storage: Storage, operation: Operation, path: string, data: Record<string, unknown> = {}): Request {
  return {
    id: `request-${operation}-${path}`,
    operation,
    path,
    data,
    storage,
    mountPoint: '__NAME__/',
    mountType: '__NAME__',
    clientToken: 'salted-token',
    headers: {},
  };
}
