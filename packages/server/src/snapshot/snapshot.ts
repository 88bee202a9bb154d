/**
 * Taking and restoring snapshots of the physical storage.
 *
 * A snapshot copies entries below the barrier, so it contains ciphertext
 * and needs no key to take. Restored into any backend, it brings back a
 * server that unseals with the key shares that were valid when it was taken.
 */
import { badRequest, type ClosableStorage, type Storage, type StorageEntry } from '@coffer/sdk';
import { KEYRING_PATH, SEAL_CONFIG_PATH, WRAPPED_ROOT_KEY_PATH } from '../barrier/barrier.js';
import type { Core } from '../core.js';
import { COFFER_VERSION } from '../version.js';
import { decodeSnapshot, encodeSnapshot, type Snapshot } from './format.js';

/** The entries that the seal and barrier need first; a snapshot without them cannot be unsealed. */
const SEAL_ENTRIES = [KEYRING_PATH, WRAPPED_ROOT_KEY_PATH, SEAL_CONFIG_PATH];

/** Returns every key below `prefix`, depth first, in `list` order. */
export async function walkKeys(storage: Storage, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for (const child of await storage.list(prefix)) {
    if (child.endsWith('/')) keys.push(...(await walkKeys(storage, prefix + child)));
    else keys.push(prefix + child);
  }
  return keys;
}

/**
 * Reads every entry of `physical` into a snapshot.
 *
 * The server keeps serving while the entries are read, so a write made
 * meanwhile may or may not be in the snapshot, but each entry is whole.
 * The seal entries are read last. The keyring only gains key terms, so the
 * copy read last decrypts every entry read before it, even across a `sys/rotate`.
 */
export async function takeSnapshot(physical: Storage, context: { clusterId: string; storageType: string }): Promise<Buffer> {
  const createdAt = new Date().toISOString();
  const entries: StorageEntry[] = [];
  for (const key of await walkKeys(physical)) {
    if (SEAL_ENTRIES.includes(key)) continue;
    const entry = await physical.get(key);
    // A key deleted after it was listed is simply not in the snapshot.
    if (entry !== null) entries.push({ key, value: entry.value });
  }
  for (const key of SEAL_ENTRIES) {
    const entry = await physical.get(key);
    if (entry === null) throw badRequest('cannot take a snapshot of an uninitialized server: initialize it first');
    entries.push({ key, value: entry.value });
  }
  const header = { created_at: createdAt, cluster_id: context.clusterId, storage_type: context.storageType, coffer_version: COFFER_VERSION };
  return encodeSnapshot(header, entries);
}

/** Checks a decoded snapshot for what a restore needs, before anything is changed. */
export function checkRestorable(snapshot: Snapshot, currentClusterId: string, force: boolean): void {
  const keys = new Set(snapshot.entries.map((entry) => entry.key));
  for (const key of SEAL_ENTRIES) {
    if (!keys.has(key)) throw badRequest(`invalid snapshot: it has no "${key}" entry, so it could never be unsealed`);
  }
  if (!force && snapshot.header.cluster_id !== currentClusterId) {
    throw badRequest(
      `snapshot was taken on cluster "${snapshot.header.cluster_id}", but this server is cluster "${currentClusterId}"; ` +
        'restore it with sys/storage/snapshot-force (coffer operator snapshot restore -force) to replace this cluster with it',
    );
  }
}

/**
 * Makes `physical` hold exactly the snapshot's entries: writes them, then
 * deletes every other key. The seal entries go last, so an interrupted
 * restore still unseals with the old key shares and can simply be run again.
 */
export async function writeSnapshot(physical: Storage, snapshot: Snapshot): Promise<{ written: number; deleted: number }> {
  const wanted = new Set(snapshot.entries.map((entry) => entry.key));
  const ordinary = snapshot.entries.filter((entry) => !SEAL_ENTRIES.includes(entry.key));
  const seal = SEAL_ENTRIES.map((key) => snapshot.entries.find((entry) => entry.key === key)!);

  for (const entry of ordinary) await physical.put(entry);
  let deleted = 0;
  for (const key of await walkKeys(physical)) {
    if (wanted.has(key)) continue;
    await physical.delete(key);
    deleted += 1;
  }
  for (const entry of seal) await physical.put(entry);
  return { written: snapshot.entries.length, deleted };
}

/**
 * Restores a snapshot into a running server: checks it, seals the server,
 * replaces the storage and reloads the seal configuration. The server stays
 * sealed; it unseals with the key shares of the snapshot.
 *
 * @throws CofferError (400) for a damaged snapshot, or one of another cluster without `force`
 */
export async function restoreIntoServer(core: Core, physical: ClosableStorage, bytes: Buffer, force: boolean): Promise<void> {
  const snapshot = decodeSnapshot(bytes);
  checkRestorable(snapshot, core.clusterId, force);

  core.logger.warn({ entries: snapshot.entries.length, fromCluster: snapshot.header.cluster_id, force }, 'snapshot restore started; sealing');
  // The restore request itself is in flight, so the seal does not wait for it.
  await core.sealServer({ fromRequest: true });
  const result = await writeSnapshot(physical, snapshot);
  // The entries were written past the physical cache, which sealing has
  // already disabled and emptied. Clearing it here as well keeps the rule
  // that no entry read before a restore survives it local to the restore.
  core.physicalCache?.clear();
  await core.load();
  core.logger.warn({ ...result, createdAt: snapshot.header.created_at }, 'snapshot restored; the server is sealed');
}
