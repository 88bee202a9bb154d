/**
 * Helpers over whole folders of a storage.
 */
import type { Storage } from '@coffer/sdk';

/** Deletes every key under `prefix`, depth first. */
export async function deleteTree(storage: Storage, prefix: string): Promise<void> {
  for (const child of await storage.list(prefix)) {
    if (child.endsWith('/')) await deleteTree(storage, prefix + child);
    else await storage.delete(prefix + child);
  }
}
