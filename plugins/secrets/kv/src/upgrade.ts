/**
 * The upgrade of a KV version 1 mount to version 2, which Vault documents
 * for `secrets enable -version=2` on an existing path and for tuning
 * `options version=2`: every unversioned secret becomes version 1 of a
 * versioned secret at the same path.
 *
 * A version 2 backend runs this before it serves requests, and writes
 * {@link UPGRADE_KEY} once storage is entirely in the version 2 layout, so
 * later starts read one entry. Without that entry, every stored key that
 * does not have the exact shape of a version 2 entry is version 1 data. So a
 * version 2 mount made before the entry existed keeps its data. A crash
 * mid-upgrade is safe too, because an upgraded key has the version 2 shape
 * and a key still to upgrade does not.
 *
 * The record is a JSON array, because a version 1 secret is always a JSON
 * object. A user who stores a secret named "upgrade" before the upgrade
 * therefore cannot make it look like the record and skip the upgrade.
 *
 * NOTE: the upgrade runs inside the backend's initialize, so the tune request
 * (or the unseal after a crash) waits until every secret is moved.
 */
import { parseJson, type Logger, type Storage } from '@coffer/sdk';
import { formatTimestamp } from './clock.js';
import { isJsonObject } from './json.js';
import { addVersion, DEFAULT_CONFIG, newKeyMetadata } from './metadata.js';
import { CONFIG_KEY, METADATA_PREFIX, type VersionedStore } from './store.js';

/** Storage key of the record that the mount's storage is in the version 2 layout. */
export const UPGRADE_KEY = 'upgrade';

const VERSION_DATA_KEY = /^versions\/[0-9a-f]{64}\/\d+$/;

/**
 * Moves every version 1 secret in `storage` into the version 2 layout, unless
 * {@link UPGRADE_KEY} records that this was done. Returns the number of
 * secrets moved.
 */
export async function upgradeToVersioned(store: VersionedStore, storage: Storage, logger: Logger): Promise<number> {
  const stored = await readJsonOrNull(storage, UPGRADE_KEY);
  if (isUpgradeRecord(stored)) return 0;

  let keys: string[] = [];
  for (const key of await listAllKeys(storage, '')) {
    if (!(await hasVersionedShape(storage, key))) keys.push(key);
  }
  // A record in the earlier object format is the only entry left to upgrade
  // on a mount that finished its upgrade. Anywhere else it may be a version 1
  // secret, so it is upgraded like one.
  // NOTE: on a version 1 mount whose only secret is "upgrade", shaped like
  // that record, the two look the same, so the record replaces that secret.
  if (isObjectUpgradeRecord(stored) && keys.length === 1 && keys[0] === UPGRADE_KEY) {
    logger.info({ key: UPGRADE_KEY }, 'replacing the kv upgrade record of the earlier object format');
    keys = [];
  }
  if (keys.length > 0) logger.info({ keys: keys.length }, 'upgrading kv version 1 secrets to version 2');

  // Order matters: upgrading secret "a" writes its metadata at storage key
  // "metadata/a", where a version 1 secret "metadata/a" may still be stored.
  // Moving the secrets with the most leading "metadata/" segments first
  // empties each such key before another secret's metadata replaces it.
  keys.sort((a, b) => metadataDepth(b) - metadataDepth(a));
  for (const key of keys) await upgradeKey(store, storage, logger, key);

  const record = [{ finishedTime: formatTimestamp(store.clock.now()), upgradedSecrets: keys.length }];
  await storage.put({ key: UPGRADE_KEY, value: Buffer.from(JSON.stringify(record), 'utf8') });
  if (keys.length > 0) logger.info({ keys: keys.length }, 'upgraded kv version 1 secrets to version 2');
  return keys.length;
}

/** Stores the version 1 secret at `key` as version 1 of the secret `key`, then deletes the old entry. */
async function upgradeKey(store: VersionedStore, storage: Storage, logger: Logger, key: string): Promise<void> {
  const data = await readJsonOrNull(storage, key);
  if (!isJsonObject(data)) {
    // Version 1 never stores anything but a JSON object, so such an entry is
    // not a secret and stays where it is.
    logger.warn({ key }, 'skipping a kv version 1 entry that is not a JSON object');
    return;
  }

  const createdTime = formatTimestamp(store.clock.now());
  const meta = newKeyMetadata(key, createdTime);
  addVersion(meta, { createdTime, deletionTime: '', destroyed: false }, DEFAULT_CONFIG);

  // Order matters for a crash between the writes: the old entry goes last,
  // so a rerun finds it and upgrades it again, overwriting the same version.
  await store.writeVersionData(storage, key, meta.currentVersion, data);
  await store.writeMetadata(storage, meta);
  await storage.delete(key);
}

/**
 * Returns true when the entry at `key` is one that a version 2 backend
 * writes: the engine config, a key's metadata, or the data of a version.
 */
async function hasVersionedShape(storage: Storage, key: string): Promise<boolean> {
  const isConfig = key === CONFIG_KEY;
  const isMetadata = key.startsWith(METADATA_PREFIX);
  const isVersionData = VERSION_DATA_KEY.test(key);
  if (!isConfig && !isMetadata && !isVersionData) return false;

  const value = await readJsonOrNull(storage, key);
  if (!isJsonObject(value)) return false;
  if (isConfig) {
    return typeof value.maxVersions === 'number' && typeof value.casRequired === 'boolean' && typeof value.deleteVersionAfter === 'number';
  }
  if (isMetadata) {
    return value.key === key.slice(METADATA_PREFIX.length) && isJsonObject(value.versions) && typeof value.currentVersion === 'number';
  }
  return Object.keys(value).length === 1 && isJsonObject(value.data);
}

/** Returns true for the record this engine writes: an array of one record object. */
function isUpgradeRecord(value: unknown): boolean {
  return Array.isArray(value) && value.length === 1 && isObjectUpgradeRecord(value[0]);
}

/** Returns true for a record object, which is also the format the engine wrote before the array. */
function isObjectUpgradeRecord(value: unknown): boolean {
  return isJsonObject(value) && typeof value.finishedTime === 'string' && typeof value.upgradedSecrets === 'number';
}

/** Counts the leading "metadata/" segments of a key. */
function metadataDepth(key: string): number {
  let depth = 0;
  while (key.startsWith(METADATA_PREFIX.repeat(depth + 1))) depth += 1;
  return depth;
}

/** Lists every key under `prefix`, descending into folders. */
async function listAllKeys(storage: Storage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (const name of await storage.list(prefix)) {
    if (name.endsWith('/')) keys.push(...(await listAllKeys(storage, prefix + name)));
    else keys.push(prefix + name);
  }
  return keys;
}

/** Reads a JSON entry. Returns null when the entry is missing or is not JSON. */
async function readJsonOrNull(storage: Storage, key: string): Promise<unknown> {
  const entry = await storage.get(key);
  if (entry === null) return null;
  try {
    return parseJson(entry.value.toString('utf8'));
  } catch {
    return null;
  }
}
