/**
 * KV v2 key metadata: the record of one secret's versions and settings, and
 * the rules that change it (adding a version, pruning, deletion times).
 * Everything here is pure, and storage access lives in `store.ts`.
 */
import { formatDuration } from '@coffer/sdk';
import { addSeconds, formatTimestamp, parseTimestamp } from './clock.js';

/** Number of versions kept per key when neither the key nor the engine sets `max_versions`. */
export const DEFAULT_MAX_VERSIONS = 10;

/** Engine-wide `delete_version_after` value that turns the feature off for every key, as in Vault. */
export const DELETE_VERSION_AFTER_DISABLED = -1;

/**
 * The maximum `delete_version_after`, in seconds. Vault parses the field as a
 * Go `time.Duration`, whose maximum is 2^63-1 ns (2562047h47m16.854775807s),
 * and this is that maximum truncated to whole seconds.
 */
export const MAX_DELETE_VERSION_AFTER_SECONDS = 9_223_372_036;

/** Engine settings stored at `config`. */
export interface EngineConfig {
  /** Versions kept per key, where 0 means {@link DEFAULT_MAX_VERSIONS}. */
  maxVersions: number;
  /** When true, every write must carry `options.cas`. */
  casRequired: boolean;
  /** Seconds before a new version is soft-deleted. 0 is unset, and -1 turns the feature off on every key. */
  deleteVersionAfter: number;
}

export const DEFAULT_CONFIG: EngineConfig = { maxVersions: 0, casRequired: false, deleteVersionAfter: 0 };

/** The state of one version. Times are RFC 3339 strings, as returned to clients. */
export interface VersionMetadata {
  createdTime: string;
  /** Deletion time, empty when the version is not deleted. A future time schedules the deletion. */
  deletionTime: string;
  destroyed: boolean;
}

/** Everything stored about one secret except the data of its versions. */
export interface KeyMetadata {
  /** The secret's path relative to `data/`. */
  key: string;
  /** Versions still kept, by version number. */
  versions: Record<string, VersionMetadata>;
  /** The newest version number; 0 before the first write. */
  currentVersion: number;
  /**
   * Vault's `oldest_version`: 0 until pruning first removes a version, then
   * the lowest version number pruning kept.
   */
  oldestVersion: number;
  createdTime: string;
  updatedTime: string;
  /** Versions kept for this key, where 0 defers to the engine setting. */
  maxVersions: number;
  casRequired: boolean;
  /** Seconds before a new version is soft-deleted, where 0 defers to the engine setting. */
  deleteVersionAfter: number;
  customMetadata: Record<string, string> | null;
}

/** Returns the metadata of a secret that has no versions yet. */
export function newKeyMetadata(key: string, createdTime: string): KeyMetadata {
  return {
    key,
    versions: {},
    currentVersion: 0,
    oldestVersion: 0,
    createdTime,
    updatedTime: createdTime,
    maxVersions: 0,
    casRequired: false,
    deleteVersionAfter: 0,
    customMetadata: null,
  };
}

/** Returns true when the version's deletion time has passed. */
export function isDeleted(version: VersionMetadata, now: bigint): boolean {
  return version.deletionTime !== '' && parseTimestamp(version.deletionTime) < now;
}

/** Returns true when the version's data can be read: neither deleted nor destroyed. */
export function isReadable(version: VersionMetadata, now: bigint): boolean {
  return !version.destroyed && !isDeleted(version, now);
}

/**
 * Returns the deletion time of a version created or undeleted at `from`:
 * `from` plus the smaller non-zero `delete_version_after` of the engine and
 * the key, or an empty string when neither is set or the engine disables it.
 */
export function scheduledDeletionTime(from: bigint, config: EngineConfig, meta: KeyMetadata): string {
  if (config.deleteVersionAfter === DELETE_VERSION_AFTER_DISABLED) return '';

  const candidates = [config.deleteVersionAfter, meta.deleteVersionAfter].filter((seconds) => seconds > 0);
  if (candidates.length === 0) return '';
  // Config and metadata written before the limit existed can hold longer
  // durations, which would run past year 9999 and fail every write.
  const seconds = Math.min(...candidates, MAX_DELETE_VERSION_AFTER_SECONDS);
  return formatTimestamp(addSeconds(from, Math.trunc(seconds)));
}

/**
 * Returns the number of versions to keep: the key's own setting when set,
 * else the engine's, else {@link DEFAULT_MAX_VERSIONS}. This follows Vault's
 * documentation, where a key's metadata setting overrides the engine's.
 */
export function effectiveMaxVersions(meta: KeyMetadata, config: EngineConfig): number {
  if (meta.maxVersions > 0) return meta.maxVersions;
  if (config.maxVersions > 0) return config.maxVersions;
  return DEFAULT_MAX_VERSIONS;
}

/**
 * Records a new current version in `meta` and drops the oldest versions past
 * the limit, the way Vault moves its window. Returns the version numbers
 * dropped, whose data the caller deletes after storing `meta`.
 */
export function addVersion(meta: KeyMetadata, version: VersionMetadata, config: EngineConfig): number[] {
  meta.currentVersion += 1;
  meta.versions[String(meta.currentVersion)] = version;
  meta.updatedTime = version.createdTime;

  const limit = effectiveMaxVersions(meta, config);
  if (meta.currentVersion - meta.oldestVersion < limit) return [];

  // A lowered limit can drop several versions at once.
  const lastDropped = meta.currentVersion - limit;
  const dropped: number[] = [];
  for (let number = meta.oldestVersion; number <= lastDropped; number += 1) {
    if (meta.versions[String(number)] !== undefined) dropped.push(number);
    delete meta.versions[String(number)];
  }
  meta.oldestVersion = lastDropped + 1;
  return dropped;
}

/** Returns one version's fields as Vault returns them in `metadata` of a read and in a write's `data`. */
export function versionSummary(meta: KeyMetadata, number: number): Record<string, unknown> {
  const version = meta.versions[String(number)];
  return {
    created_time: version.createdTime,
    custom_metadata: meta.customMetadata,
    deletion_time: version.deletionTime,
    destroyed: version.destroyed,
    version: number,
  };
}

/** Returns the `data` of a metadata read. */
export function metadataResponse(meta: KeyMetadata): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const [number, version] of Object.entries(meta.versions)) {
    versions[number] = {
      created_time: version.createdTime,
      deletion_time: version.deletionTime,
      destroyed: version.destroyed,
    };
  }
  return {
    cas_required: meta.casRequired,
    created_time: meta.createdTime,
    current_version: meta.currentVersion,
    custom_metadata: meta.customMetadata,
    delete_version_after: formatSignedDuration(meta.deleteVersionAfter),
    max_versions: meta.maxVersions,
    oldest_version: meta.oldestVersion,
    updated_time: meta.updatedTime,
    versions,
  };
}

/** Formats seconds like Go's `time.Duration`, negative values included (`-1s`). */
export function formatSignedDuration(seconds: number): string {
  return seconds < 0 ? `-${formatDuration(-seconds)}` : formatDuration(seconds);
}
