/**
 * The inmem storage backend: a sorted map in process memory. Nothing
 * survives a restart, so it serves dev servers and tests.
 */
import { childrenOf, SDK_VERSION, type ClosableStorage, type StorageEntry, type StoragePlugin } from '@coffer/sdk';

export class InmemStorage implements ClosableStorage {
  private readonly entries = new Map<string, Buffer>();

  async get(key: string): Promise<StorageEntry | null> {
    const value = this.entries.get(key);
    return value === undefined ? null : { key, value: Buffer.from(value) };
  }

  async put(entry: StorageEntry): Promise<void> {
    // Copy so a caller that reuses its buffer cannot change stored data.
    this.entries.set(entry.key, Buffer.from(entry.value));
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return childrenOf(prefix, this.entries.keys());
  }

  async close(): Promise<void> {}
}

export const plugin: StoragePlugin = {
  kind: 'storage',
  name: 'inmem',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: [],
  async create() {
    return new InmemStorage();
  },
};
