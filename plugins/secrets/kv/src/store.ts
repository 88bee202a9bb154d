/**
 * Storage access for KV v2: the engine config, key metadata and version
 * data, under the layout described in `backend.ts`.
 */
import { createHash } from 'node:crypto';
import { internalError, KeyedLock, parseJson, stringifyJson, type Logger, type Storage } from '@coffer/sdk';
import { parseTimestamp, type Clock } from './clock.js';
import { isJsonObject, type JsonObject } from './json.js';
import { DEFAULT_CONFIG, isReadable, type EngineConfig, type KeyMetadata, type VersionMetadata } from './metadata.js';

export const CONFIG_KEY = 'config';
export const METADATA_PREFIX = 'metadata/';
export const VERSIONS_PREFIX = 'versions/';

/** Key metadata entries one mount keeps in memory; past this, the least recently read is dropped. */
const METADATA_CACHE_SIZE = 10_000;

/**
 * Total length, in UTF-16 code units (16 to 32 MiB), of the metadata JSON
 * one mount keeps in memory. Custom metadata alone can make an entry about
 * 42,000 characters long, so the entry count alone does not bound memory.
 */
const METADATA_CACHE_LENGTH = 16 * 1024 * 1024;

/** Maximum length of a cached metadata JSON, so one key with many versions cannot empty the cache. */
const MAX_CACHED_METADATA_LENGTH = 1024 * 1024;

/** The outcome of looking up one version of a secret. */
export type VersionLookup =
  /** No metadata, or no version with that number (never written, or pruned). */
  | { kind: 'missing' }
  /** The version exists but is deleted or destroyed, so Vault returns 404 with its metadata. */
  | { kind: 'unreadable'; meta: KeyMetadata; number: number }
  | { kind: 'readable'; meta: KeyMetadata; number: number; data: JsonObject };

/** State shared by every KV v2 path of one mount. */
export class VersionedStore {
  /** Serializes the read-modify-write steps on one secret path. */
  readonly locks = new KeyedLock();
  private cachedConfig: EngineConfig | null = null;
  /** Counts config writes and invalidations, so a slow first read cannot cache a config older than a concurrent write's. */
  private configChanges = 0;
  /** Secret paths already logged for an invalid deletion time, so repeated reads log once. */
  private readonly reportedInvalidTimes = new Set<string>();
  /**
   * Key metadata as stored (JSON text) by secret path, so a read of the
   * current version costs one storage read, not two. Every metadata write
   * and delete of this mount goes through this store and updates it, and
   * `invalidate` drops entries another node changed.
   */
  private readonly metadataCache = new Map<string, string>();
  /**
   * Counts metadata writes, deletes and invalidations, each once when it
   * starts and once when storage has changed. A read fills the cache only
   * when the count did not move while it read storage, so a slow read can
   * never put back a value older than a concurrent write's.
   */
  private metadataChanges = 0;
  /** Sum of the lengths of the texts in `metadataCache`. */
  private metadataCacheLength = 0;
  /**
   * Version folders by secret path, so a read does not hash the path again.
   * A folder depends on the path alone, so no write makes an entry stale.
   */
  private readonly versionFolders = new Map<string, string>();

  constructor(
    readonly clock: Clock,
    readonly logger: Logger,
  ) {}

  /** Returns the engine config, from memory after the first read. */
  async readConfig(storage: Storage): Promise<EngineConfig> {
    if (this.cachedConfig !== null) return { ...this.cachedConfig };

    const changesBefore = this.configChanges;
    const stored = await readJson(storage, CONFIG_KEY);
    const config: EngineConfig = { ...DEFAULT_CONFIG, ...(stored ?? {}) };
    if (this.configChanges === changesBefore) this.cachedConfig = config;
    return { ...config };
  }

  async writeConfig(storage: Storage, config: EngineConfig): Promise<void> {
    this.configChanges += 1;
    this.cachedConfig = null;
    try {
      await writeJson(storage, CONFIG_KEY, config);
    } finally {
      this.configChanges += 1;
    }
    this.cachedConfig = { ...config };
  }

  /** Drops the cached config or key metadata when another node changed it. */
  invalidate(key: string): void {
    if (key === CONFIG_KEY) {
      this.configChanges += 1;
      this.cachedConfig = null;
    }
    if (key.startsWith(METADATA_PREFIX)) this.forgetMetadata(key.slice(METADATA_PREFIX.length));
  }

  /**
   * Reads a key's metadata. A version whose stored deletion time does not
   * parse is returned with no deletion scheduled, so the secret stays
   * readable. Versions written before delete_version_after had an upper
   * limit can hold such times, such as "+013434-11-15T12:44.396Z".
   */
  async readMetadata(storage: Storage, path: string): Promise<KeyMetadata | null> {
    const meta = (await this.readMetadataJson(storage, path)) as KeyMetadata | null;
    if (meta === null) return null;

    for (const [number, version] of Object.entries(meta.versions)) {
      if (version.deletionTime === '' || isValidTimestamp(version.deletionTime)) continue;
      this.reportInvalidDeletionTime(path, number, version.deletionTime);
      version.deletionTime = '';
    }
    return meta;
  }

  async writeMetadata(storage: Storage, meta: KeyMetadata): Promise<void> {
    this.forgetMetadata(meta.key);
    const text = stringifyJson(meta) as string;
    try {
      await storage.put({ key: METADATA_PREFIX + meta.key, value: Buffer.from(text, 'utf8') });
    } finally {
      // Count the change again once storage has it, because a read that
      // started during the put may have fetched the old entry.
      this.forgetMetadata(meta.key);
    }
    this.rememberMetadata(meta.key, text);
  }

  async deleteMetadata(storage: Storage, path: string): Promise<void> {
    this.forgetMetadata(path);
    try {
      await storage.delete(METADATA_PREFIX + path);
    } finally {
      this.forgetMetadata(path);
    }
  }

  /** Lists the keys and folders directly under `prefix`, one storage list call. */
  async listMetadata(storage: Storage, prefix: string): Promise<string[]> {
    return storage.list(METADATA_PREFIX + prefix);
  }

  async readVersionData(storage: Storage, path: string, number: number): Promise<JsonObject | null> {
    const stored = await readJson(storage, this.versionFolderOf(path) + number);
    return stored === null ? null : (stored.data as JsonObject);
  }

  async writeVersionData(storage: Storage, path: string, number: number, data: JsonObject): Promise<void> {
    await writeJson(storage, this.versionFolderOf(path) + number, { data });
  }

  async deleteVersionData(storage: Storage, path: string, numbers: number[]): Promise<void> {
    const folder = this.versionFolderOf(path);
    for (const number of numbers) await storage.delete(folder + number);
  }

  /** Returns every version number with data in storage, orphans of an interrupted request included. */
  async listStoredVersions(storage: Storage, path: string): Promise<number[]> {
    const names = await storage.list(this.versionFolderOf(path));
    return names.filter((name) => /^\d+$/.test(name)).map(Number);
  }

  /**
   * Looks up version `requested` of `path`, or the current version when it
   * is 0, and reads its data when the version is readable.
   */
  async lookupVersion(storage: Storage, path: string, requested: number): Promise<VersionLookup> {
    // A destroy or prune may delete the data between the metadata read and
    // the data read. The second pass reads the metadata that caused it.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const meta = await this.readMetadata(storage, path);
      if (meta === null) return { kind: 'missing' };

      const number = requested > 0 ? requested : meta.currentVersion;
      const version: VersionMetadata | undefined = meta.versions[String(number)];
      if (version === undefined) return { kind: 'missing' };
      if (!isReadable(version, this.clock.now())) return { kind: 'unreadable', meta, number };

      const data = await this.readVersionData(storage, path, number);
      if (data !== null) return { kind: 'readable', meta, number, data };
    }
    throw internalError(`version data of "${path}" is missing although its metadata lists it`);
  }

  /** Returns a key's metadata as a fresh object, from the cache when it contains the key. */
  private async readMetadataJson(storage: Storage, path: string): Promise<JsonObject | null> {
    const cached = this.metadataCache.get(path);
    if (cached !== undefined) {
      // Move the entry to the end of the map's order: least recently read goes first.
      this.metadataCache.delete(path);
      this.metadataCache.set(path, cached);
      return parseJson(cached) as JsonObject;
    }

    const changesBefore = this.metadataChanges;
    const entry = await storage.get(METADATA_PREFIX + path);
    if (entry === null) return null;
    const text = entry.value.toString('utf8');
    const parsed = parseJsonObject(METADATA_PREFIX + path, text);
    if (this.metadataChanges === changesBefore) this.rememberMetadata(path, text);
    return parsed;
  }

  /** Returns `versionFolder(path)`, from memory when the path was used before. */
  private versionFolderOf(path: string): string {
    const cached = this.versionFolders.get(path);
    if (cached !== undefined) return cached;

    if (this.versionFolders.size >= METADATA_CACHE_SIZE) {
      const oldest = this.versionFolders.keys().next().value as string;
      this.versionFolders.delete(oldest);
    }
    const folder = versionFolder(path);
    this.versionFolders.set(path, folder);
    return folder;
  }

  private rememberMetadata(path: string, text: string): void {
    this.dropCachedMetadata(path);
    if (text.length > MAX_CACHED_METADATA_LENGTH) return;

    while (
      this.metadataCache.size > 0 &&
      (this.metadataCache.size >= METADATA_CACHE_SIZE || this.metadataCacheLength + text.length > METADATA_CACHE_LENGTH)
    ) {
      this.dropCachedMetadata(this.metadataCache.keys().next().value as string);
    }
    this.metadataCache.set(path, text);
    this.metadataCacheLength += text.length;
  }

  private forgetMetadata(path: string): void {
    this.metadataChanges += 1;
    this.dropCachedMetadata(path);
  }

  private dropCachedMetadata(path: string): void {
    const text = this.metadataCache.get(path);
    if (text === undefined) return;
    this.metadataCache.delete(path);
    this.metadataCacheLength -= text.length;
  }

  private reportInvalidDeletionTime(path: string, version: string, deletionTime: string): void {
    if (this.reportedInvalidTimes.has(path)) return;
    this.reportedInvalidTimes.add(path);
    this.logger.warn(
      { path, version, deletionTime },
      'ignoring invalid stored deletion time: the version counts as not deleted, and the next metadata write clears it',
    );
  }
}

function isValidTimestamp(text: string): boolean {
  try {
    parseTimestamp(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the storage folder of a secret's versions: a SHA-256 of the path,
 * so that a secret `a` and a secret `a/1` can never share a key.
 */
export function versionFolder(path: string): string {
  return `${VERSIONS_PREFIX}${createHash('sha256').update(path).digest('hex')}/`;
}

export function versionKey(path: string, number: number): string {
  return `${versionFolder(path)}${number}`;
}

/** Reads a JSON object entry, or throws a 500 when the entry contains something else. */
export async function readJson(storage: Storage, key: string): Promise<JsonObject | null> {
  const entry = await storage.get(key);
  if (entry === null) return null;
  return parseJsonObject(key, entry.value.toString('utf8'));
}

function parseJsonObject(key: string, text: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch {
    throw internalError(`storage entry "${key}" is not valid JSON`);
  }
  if (!isJsonObject(parsed)) throw internalError(`storage entry "${key}" is not a JSON object`);
  return parsed;
}

/** Writes a JSON entry. An integer past 2^53, read from a request as a bigint, is stored as its digits. */
export async function writeJson(storage: Storage, key: string, value: unknown): Promise<void> {
  await storage.put({ key, value: Buffer.from(stringifyJson(value) as string, 'utf8') });
}
