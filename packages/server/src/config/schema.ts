/**
 * The top-level settings of a config file, and decoding of one parsed file
 * into a FileConfig. Settings a file does not set stay undefined here, so
 * that merging can tell "not set" from "set to the default".
 */
import { readLabeledBlocks, readUnlabeledBlocks } from './blocks.js';
import { decodeListener, KNOWN_LISTENER_SETTINGS } from './listener.js';
import { Scope } from './scope.js';
import type { ConfigSource } from './source.js';
import { decodeSeals, decodeStorage, type Located } from './stanzas.js';
import { unknownSetting } from './suggest.js';
import { decodeTelemetry } from './telemetry.js';
import type { ListenerConfig, LogLevel, SealConfig, StorageConfig, TelemetryConfig, UserLockoutConfig } from './types.js';
import { decodeUserLockout } from './user-lockout.js';
import {
  describeValue,
  isPlainObject,
  ownEntry,
  readBoolean,
  readCount,
  readDuration,
  readLogFormat,
  readLogLevel,
  readString,
  readUrl,
} from './values.js';

/** The settings of one config file, each undefined where the file does not set it. */
export interface FileConfig {
  file: string;
  storage?: Located<StorageConfig>;
  listeners: ListenerConfig[];
  seals: Array<Located<SealConfig>>;
  apiAddr?: string;
  clusterAddr?: string;
  defaultLeaseTtl?: Located<number>;
  maxLeaseTtl?: Located<number>;
  logLevel?: LogLevel;
  logFormat?: string;
  ui?: boolean;
  disableMlock?: boolean;
  /** A number of entries, where 0 means the default. */
  cacheSize?: number;
  disableCache?: boolean;
  disableClustering?: boolean;
  pluginDirectory?: string;
  /** `user_lockout` stanzas by label; a later stanza's settings override an earlier one's. */
  userLockout: Record<string, UserLockoutConfig>;
  /** Ignored settings met, dotted for nested ones. */
  ignoredSettings: Set<string>;
  telemetry?: TelemetryConfig;
}

type Setter = (scope: Scope, key: string, value: unknown, config: FileConfig) => void;

const TOP_LEVEL_SETTINGS: Record<string, Setter> = {
  storage: setStorage,
  // `backend` is Vault's older name for `storage`.
  backend: setStorage,
  listener: (scope, key, value, config) => {
    for (const block of readLabeledBlocks(scope, key, value)) {
      const offset = scope.source.findBlock(key, block.label, block.occurrence);
      config.listeners.push(decodeListener(scope.block(key, block.label, offset), block, config.ignoredSettings));
    }
  },
  seal: (scope, _key, value, config) => {
    config.seals.push(...decodeSeals(scope, value));
  },
  api_addr: (scope, key, value, config) => {
    config.apiAddr = readUrl(scope, key, value);
  },
  cluster_addr: (scope, key, value, config) => {
    config.clusterAddr = readUrl(scope, key, value);
  },
  default_lease_ttl: (scope, key, value, config) => {
    config.defaultLeaseTtl = locate(scope, key, readDuration(scope, key, value));
  },
  max_lease_ttl: (scope, key, value, config) => {
    config.maxLeaseTtl = locate(scope, key, readDuration(scope, key, value));
  },
  log_level: (scope, key, value, config) => {
    config.logLevel = readLogLevel(scope, key, value);
  },
  log_format: (scope, key, value, config) => {
    config.logFormat = readLogFormat(scope, key, value);
  },
  ui: (scope, key, value, config) => {
    config.ui = readBoolean(scope, key, value);
  },
  disable_mlock: (scope, key, value, config) => {
    config.disableMlock = readBoolean(scope, key, value);
  },
  cache_size: (scope, key, value, config) => {
    config.cacheSize = readCount(scope, key, value, 'entries');
  },
  disable_cache: (scope, key, value, config) => {
    config.disableCache = readBoolean(scope, key, value);
  },
  disable_clustering: (scope, key, value, config) => {
    config.disableClustering = readBoolean(scope, key, value);
  },
  plugin_directory: (scope, key, value, config) => {
    config.pluginDirectory = readString(scope, key, value);
  },
  user_lockout: (scope, _key, value, config) => {
    decodeUserLockout(scope, value, config.userLockout);
  },
  telemetry: (scope, key, value, config) => {
    config.telemetry = {};
    decodeTelemetry(scope, key, value, config.telemetry, config.ignoredSettings);
  },
};

/**
 * Top-level Vault settings that Coffer accepts, type-checks and ignores.
 * Each is harmless to ignore:
 * - `cluster_name`: names the cluster in Vault's telemetry and replication,
 *   neither of which Coffer has.
 * - `raw_storage_endpoint`: enables Vault's `sys/raw`. Coffer enables nothing
 *   from it, so ignoring it keeps that access closed.
 * - `default_max_request_duration`: Vault's default request timeout. Coffer
 *   does not apply it, so a slow request is not cut off.
 */
const IGNORED_TOP_LEVEL_SETTINGS: Record<string, (scope: Scope, key: string, value: unknown) => unknown> = {
  cluster_name: readString,
  raw_storage_endpoint: readBoolean,
  default_max_request_duration: readDuration,
};

/** Every top-level setting name Coffer accepts, for suggestions and docs. */
export const KNOWN_TOP_LEVEL_SETTINGS = [
  ...Object.keys(TOP_LEVEL_SETTINGS),
  ...Object.keys(IGNORED_TOP_LEVEL_SETTINGS),
];

export { KNOWN_LISTENER_SETTINGS };

/**
 * Decodes one parsed config file.
 * @throws ConfigError for an unknown or ill-typed setting or a stanza that
 *   breaks the rules of its kind.
 */
export function decodeFile(source: ConfigSource, body: unknown): FileConfig {
  const scope = Scope.topLevel(source);
  if (!isPlainObject(body)) {
    throw source.error(`expected settings and stanzas at the top level, got ${describeValue(body)}`, undefined, 0);
  }

  const config: FileConfig = { file: source.file, listeners: [], seals: [], userLockout: {}, ignoredSettings: new Set() };
  for (const [key, value] of Object.entries(body)) {
    const setter = ownEntry(TOP_LEVEL_SETTINGS, key);
    if (setter !== undefined) {
      setter(scope, key, value, config);
      continue;
    }
    const ignoredReader = ownEntry(IGNORED_TOP_LEVEL_SETTINGS, key);
    if (ignoredReader !== undefined) {
      ignoredReader(scope, key, value);
      config.ignoredSettings.add(key);
      continue;
    }
    throw unknownSetting(scope, key, KNOWN_TOP_LEVEL_SETTINGS);
  }
  return config;
}

function setStorage(scope: Scope, key: string, value: unknown, config: FileConfig): void {
  if (config.storage !== undefined) {
    throw scope.fail(
      key,
      `found both a "storage" and a "backend" stanza, but only one storage stanza is allowed ("backend" is the older name for "storage"). Remove one of them.`,
    );
  }
  config.storage = decodeStorage(scope, key, value);
}

function locate<T>(scope: Scope, key: string, value: T): Located<T> {
  const offset = scope.locate(key);
  return { value, file: scope.source.file, fail: (detail) => scope.source.error(detail, key, offset) };
}
