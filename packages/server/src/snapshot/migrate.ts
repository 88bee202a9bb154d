/**
 * Offline migration between storage backends, as `coffer operator migrate`
 * runs it: every entry of `storage_source` is copied, as stored, into
 * `storage_destination`. The config file has Vault's shape:
 *
 *   storage_source "sqlite" { path = "/var/lib/coffer/coffer.db" }
 *   storage_destination "postgresql" { connection_url = "postgres://..." }
 *
 * No server may run on either storage meanwhile, because a write made during
 * the copy could be missed.
 */
import { silentLogger, type ClosableStorage, type Logger } from '@coffer/sdk';
import { KEYRING_PATH, SEAL_CONFIG_PATH, WRAPPED_ROOT_KEY_PATH } from '../barrier/barrier.js';
import { ConfigError } from '../config/errors.js';
import { parseConfigFile } from '../config/parse.js';
import { Scope } from '../config/scope.js';
import { decodeStorage } from '../config/stanzas.js';
import type { StorageConfig } from '../config/types.js';
import { builtinStorageBackends } from '../plugins.js';
import { walkKeys } from './snapshot.js';

/** The two stanzas of a migration config. */
export interface MigrationConfig {
  source: StorageConfig;
  destination: StorageConfig;
}

/** Top-level settings of a migration config; Vault also takes `cluster_addr`, used only by its Raft destination. */
const MIGRATION_SETTINGS = ['storage_source', 'storage_destination', 'cluster_addr'];

/** Entries copied last, so an interrupted copy never leaves a destination that unseals with half its data. */
const SEAL_ENTRIES = [KEYRING_PATH, WRAPPED_ROOT_KEY_PATH, SEAL_CONFIG_PATH];

/**
 * Reads a migration config file (HCL or JSON).
 *
 * @throws ConfigError naming the file, line and problem
 */
export async function loadMigrationConfig(file: string): Promise<MigrationConfig> {
  const { source, body } = await parseConfigFile(file);
  const top = (body ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(top)) {
    if (!MIGRATION_SETTINGS.includes(name)) {
      throw new ConfigError(`unknown setting "${name}": a migration config takes only ${MIGRATION_SETTINGS.join(', ')}`, { file });
    }
  }
  for (const stanza of ['storage_source', 'storage_destination']) {
    if (top[stanza] === undefined) throw new ConfigError(`missing ${stanza} stanza: add ${stanza} "<type>" { ... }`, { file });
  }
  const scope = Scope.topLevel(source);
  return {
    source: decodeStorage(scope, 'storage_source', top.storage_source).value,
    destination: decodeStorage(scope, 'storage_destination', top.storage_destination).value,
  };
}

/** The outcome of a migration. */
export interface MigrationResult {
  copied: number;
}

/**
 * Copies every entry from the source storage to the destination.
 *
 * @throws Error when a backend cannot be opened, the source is not an
 *   initialized Coffer storage, or the destination already contains one
 */
export async function migrateStorage(config: MigrationConfig, logger: Logger = silentLogger): Promise<MigrationResult> {
  const source = await openStorage('storage_source', config.source, logger);
  let destination: ClosableStorage | undefined;
  try {
    destination = await openStorage('storage_destination', config.destination, logger);
    if ((await source.get(KEYRING_PATH)) === null) {
      throw new Error(`storage_source "${config.source.type}" contains no initialized Coffer storage (no "${KEYRING_PATH}" entry); check its settings`);
    }
    if ((await destination.get(KEYRING_PATH)) !== null) {
      throw new Error(
        `storage_destination "${config.destination.type}" already contains an initialized Coffer storage; point it at empty storage, or empty it first`,
      );
    }
    return await copyEntries(source, destination, logger);
  } finally {
    await destination?.close();
    await source.close();
  }
}

async function copyEntries(source: ClosableStorage, destination: ClosableStorage, logger: Logger): Promise<MigrationResult> {
  const keys = await walkKeys(source);
  const ordered = [...keys.filter((key) => !SEAL_ENTRIES.includes(key)), ...SEAL_ENTRIES];
  let copied = 0;
  for (const key of ordered) {
    const entry = await source.get(key);
    if (entry === null) continue;
    await destination.put(entry);
    copied += 1;
    if (copied % 1000 === 0) logger.info({ copied, total: ordered.length }, 'migration progress');
  }
  logger.info({ copied }, 'migration finished');
  return { copied };
}

async function openStorage(stanza: string, config: StorageConfig, logger: Logger): Promise<ClosableStorage> {
  const plugin = builtinStorageBackends.get(config.type);
  if (plugin === undefined) {
    throw new Error(`${stanza}: unknown storage type "${config.type}": use one of ${[...builtinStorageBackends.keys()].join(', ')}`);
  }
  if (config.type === 'inmem') throw new Error(`${stanza}: storage type "inmem" keeps nothing across processes, so it cannot be migrated from or to`);
  for (const name of Object.keys(config.settings)) {
    if (!plugin.settings.includes(name)) {
      throw new Error(`${stanza} "${config.type}": unknown setting "${name}"; known settings: ${plugin.settings.join(', ') || 'none'}`);
    }
  }
  return plugin.create(config.settings, { logger: logger.child({ storage: config.type, stanza }) });
}
