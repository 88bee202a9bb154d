/**
 * The child process of the storage crash case. It opens the backend, puts
 * and deletes crash values as fast as it can with several writes in flight,
 * and reports each acknowledged write on stdout, until the parent kills it
 * with SIGKILL.
 * It never stops by itself; see crash-protocol.ts for the protocol.
 */
import { silentLogger, type StoragePlugin } from '@coffer/sdk';
import { crashKey, crashValue, isCrashDelete, type CrashChildConfig } from './crash-protocol.js';

const config = JSON.parse(process.argv[2] ?? '') as CrashChildConfig;
const loaded = (await import(config.module)) as Record<string, unknown>;
const plugin = loaded[config.exportName] as StoragePlugin;
const storage = await plugin.create(config.settings, { logger: silentLogger });

// process.stdout is synchronous for pipes on Linux, so a line written here has
// reached the parent's pipe before the next put on the same key begins.
process.stdout.write('ready\n');

let next = config.firstSeq;
const lastWrite = new Map<string, Promise<void>>();

async function writer(): Promise<never> {
  for (;;) {
    const seq = next++;
    const key = crashKey(seq);
    const previous = lastWrite.get(key) ?? Promise.resolve();
    const current = previous.then(async () => {
      await (isCrashDelete(seq) ? storage.delete(key) : storage.put({ key, value: crashValue(seq) }));
      process.stdout.write(`ack ${seq}\n`);
    });
    lastWrite.set(key, current);
    await current;
  }
}

await Promise.all(Array.from({ length: config.concurrency }, writer)).catch((err: unknown) => {
  process.stderr.write(`crash child: write failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
