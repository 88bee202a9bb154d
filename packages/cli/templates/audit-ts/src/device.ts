/**
 * A device that appends entries to a file. Coffer builds every entry and
 * replaces secrets with HMACs before it sends the bytes, so the device only
 * has to store them durably and in order.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { AuditDevice } from '@coffer/sdk';

export async function openFileDevice(path: string): Promise<AuditDevice> {
  let file: FileHandle = await open(path, 'a', 0o600);
  // Writes run one after another on this chain, so entries keep their order.
  let chain: Promise<void> = Promise.resolve();

  const append = async (entries: Buffer): Promise<void> => {
    await file.write(entries);
    // The entry is durable only after the sync, and Coffer responds to the request only after that.
    await file.datasync();
  };

  return {
    write(entries) {
      const next = chain.then(() => append(entries));
      chain = next.catch(() => undefined);
      return next;
    },
    async reopen() {
      await chain;
      await file.close();
      file = await open(path, 'a', 0o600);
    },
    async close() {
      await chain;
      await file.close();
    },
  };
}
