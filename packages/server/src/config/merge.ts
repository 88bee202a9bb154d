/**
 * Merging of several config files into one ServerConfig, by the rules in
 * Vault's command/server/config.go and internalshared/configutil/merge.go.
 * Listeners and seals add up, and `ui`, `disable_mlock` and `disable_cache`
 * are true if any file sets them. The lease TTLs take the largest value set.
 * For other settings a later file overrides an earlier one, and for
 * `cache_size` only a non-zero value does.
 */
import { formatDuration } from '@coffer/sdk';
import type { FileConfig } from './schema.js';
import type { Located } from './stanzas.js';
import { DEFAULT_CACHE_SIZE, DEFAULT_LEASE_TTL_SECONDS, type SealConfig, type ServerConfig } from './types.js';

/**
 * Merges decoded files, in order, and applies the defaults.
 * @throws ConfigError when two files both have a storage stanza, the seal
 *   stanzas break the migration rules, or the default lease TTL exceeds the
 *   max.
 */
export function mergeFileConfigs(files: FileConfig[]): ServerConfig {
  const merged: ServerConfig = {
    listeners: [],
    defaultLeaseTtl: DEFAULT_LEASE_TTL_SECONDS,
    maxLeaseTtl: DEFAULT_LEASE_TTL_SECONDS,
    logLevel: 'info',
    ui: false,
    disableMlock: false,
    cacheSize: DEFAULT_CACHE_SIZE,
    disableCache: false,
    disableClustering: false,
    ignoredSettings: [],
    userLockout: {},
    sourceFiles: [],
  };
  const seals: Array<Located<SealConfig>> = [];
  const ignored = new Set<string>();
  let storageFile: string | undefined;

  for (const file of files) {
    if (file.storage !== undefined) {
      // NOTE: Vault lets a later file's storage replace an earlier one's.
      // Coffer rejects it, so that no file order can silently switch storage.
      if (storageFile !== undefined) {
        throw file.storage.fail(
          `found a second storage stanza ("${file.storage.value.type}") after the one in ${storageFile}, but only one storage stanza is allowed across all config files. Remove one of them.`,
        );
      }
      merged.storage = file.storage.value;
      storageFile = file.file;
    }
    merged.listeners.push(...file.listeners);
    seals.push(...file.seals);

    // Only settings the file sets are copied, so that no key is undefined.
    if (file.apiAddr !== undefined) merged.apiAddr = file.apiAddr;
    if (file.clusterAddr !== undefined) merged.clusterAddr = file.clusterAddr;
    if (file.logLevel !== undefined) merged.logLevel = file.logLevel;
    if (file.logFormat !== undefined) merged.logFormat = file.logFormat;
    if (file.pluginDirectory !== undefined) merged.pluginDirectory = file.pluginDirectory;
    merged.ui = merged.ui || file.ui === true;
    merged.disableMlock = merged.disableMlock || file.disableMlock === true;
    merged.disableCache = merged.disableCache || file.disableCache === true;
    // 0 means "use the default", as in Vault, so it does not override an earlier file's size.
    if (file.cacheSize !== undefined && file.cacheSize !== 0) merged.cacheSize = file.cacheSize;
    if (file.disableClustering !== undefined) merged.disableClustering = file.disableClustering;

    for (const [label, settings] of Object.entries(file.userLockout)) {
      merged.userLockout[label] = { ...merged.userLockout[label], ...settings };
    }
    if (file.telemetry !== undefined) merged.telemetry = { ...merged.telemetry, ...file.telemetry };
    for (const setting of file.ignoredSettings) ignored.add(setting);
    merged.sourceFiles.push(file.file);
  }

  applyLeaseTtls(merged, files);
  applySeals(merged, seals);
  merged.ignoredSettings = [...ignored];
  return merged;
}

/**
 * Sets the lease TTLs to the largest value any file sets, or Vault's 768h
 * where none does (0 also means "use the default", as in Vault), then checks
 * that the default is not longer than the max, as Vault's core does.
 */
function applyLeaseTtls(merged: ServerConfig, files: FileConfig[]): void {
  const defaultTtl = largest(files.map((file) => file.defaultLeaseTtl));
  const maxTtl = largest(files.map((file) => file.maxLeaseTtl));
  merged.defaultLeaseTtl = defaultTtl?.value || DEFAULT_LEASE_TTL_SECONDS;
  merged.maxLeaseTtl = maxTtl?.value || DEFAULT_LEASE_TTL_SECONDS;
  if (merged.defaultLeaseTtl <= merged.maxLeaseTtl) return;

  const defaultText = formatDuration(merged.defaultLeaseTtl) + (defaultTtl?.value ? '' : ', the default');
  const maxText = formatDuration(merged.maxLeaseTtl);
  const detail = `"default_lease_ttl" (${defaultText}) is longer than "max_lease_ttl" (${maxText}). Set default_lease_ttl to at most max_lease_ttl.`;
  const culprit = defaultTtl?.value ? defaultTtl : maxTtl;
  // One of the two is set, since the defaults are equal.
  throw culprit!.fail(detail);
}

function largest(values: Array<Located<number> | undefined>): Located<number> | undefined {
  let best: Located<number> | undefined;
  for (const value of values) {
    if (value !== undefined && (best === undefined || value.value >= best.value)) best = value;
  }
  return best;
}

/**
 * Checks the seal stanzas of all files together, as Vault does: one seal, or
 * two during a migration where exactly one is `disabled = true`.
 */
function applySeals(merged: ServerConfig, seals: Array<Located<SealConfig>>): void {
  if (seals.length > 2) {
    throw seals[2].fail(
      `found ${seals.length} seal stanzas, but at most two are allowed: the seal in use and, during a seal migration, the old seal marked disabled = true. Remove the others.`,
    );
  }
  if (seals.length === 2) {
    const [first, second] = seals;
    const names = `("${first.value.type}" in ${first.file} and "${second.value.type}" in ${second.file})`;
    if (!first.value.disabled && !second.value.disabled) {
      throw second.fail(
        `found two enabled seal stanzas ${names}. For a seal migration, mark the old seal with disabled = true. Otherwise remove one of them.`,
      );
    }
    if (first.value.disabled && second.value.disabled) {
      throw second.fail(
        `both seal stanzas ${names} have disabled = true, but during a seal migration only the old seal is disabled. Remove disabled = true from the new seal.`,
      );
    }
    merged.seal = first.value.disabled ? second.value : first.value;
    merged.sealMigrationSource = first.value.disabled ? first.value : second.value;
    return;
  }
  if (seals.length === 1) merged.seal = seals[0].value;
}
