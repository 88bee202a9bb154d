/**
 * Helpers for the unit tests: a map-backed storage and request builders,
 * so tests drive the backend exactly as Coffer does, without a server.
 */
import { childrenOf, type LeasedSecret, type Operation, type Request, type Storage, type StorageEntry } from '@coffer/sdk';

/** Storage in a map, keeping the storage contract (sorted, one level deep lists). */
export class MapStorage implements Storage {
  readonly entries = new Map<string, Buffer>();

  async get(key: string): Promise<StorageEntry | null> {
    const value = this.entries.get(key);
    return value === undefined ? null : { key, value };
  }

  async put(entry: StorageEntry): Promise<void> {
    this.entries.set(entry.key, entry.value);
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return childrenOf(prefix, this.entries.keys());
  }
}

/** Builds a request to the mount `notes/`, as Coffer would send it. */
export function makeRequest(storage: Storage, operation: Operation, path: string, data: Record<string, unknown> = {}): Request {
  return {
    id: `request-${operation}-${path}`,
    operation,
    path,
    data,
    storage,
    mountPoint: 'notes/',
    mountType: 'notes',
    clientToken: 'salted-token',
    headers: {},
  };
}

/**
 * Builds the `renew` or `revoke` request Coffer sends for a lease: the
 * lease's response data in `data` and its internal data in `secret`.
 */
export function makeLeaseRequest(
  storage: Storage,
  operation: 'renew' | 'revoke',
  data: Record<string, unknown>,
  internalData: Record<string, unknown>,
): Request {
  const secret: LeasedSecret = {
    leaseId: 'notes/share/first/lease-1',
    internalData,
    ttl: 3600,
    issueTime: '2024-01-01T00:00:00Z',
    increment: 0,
  };
  return { ...makeRequest(storage, operation, 'share/first', data), secret };
}
