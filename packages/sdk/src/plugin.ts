/**
 * Plugin metadata and factories. The server checks `kind` and `sdkVersion`
 * at load and rejects a plugin whose declaration does not fit.
 */
import type { BackendConfig, LogicalBackend } from './logical.js';
import type { Logger } from './logger.js';
import type { ClosableStorage } from './storage.js';

/** The SDK's own version; plugins record the version they were built with. */
export const SDK_VERSION = '0.1.0';

export type PluginKind = 'secrets' | 'auth' | 'database' | 'audit' | 'seal' | 'storage';

interface PluginMetadata {
  /** Catalog name, e.g. `kv` or `sqlite`. */
  name: string;
  /** The plugin's own semantic version. */
  version: string;
  /** The SDK version the plugin was built against. */
  sdkVersion: string;
}

/** A secrets engine: produces a backend for each mount. */
export interface SecretsPlugin extends PluginMetadata {
  kind: 'secrets';
  factory(config: BackendConfig): Promise<LogicalBackend>;
}

/** An auth method: produces a credential backend for each mount under `auth/`. */
export interface AuthPlugin extends PluginMetadata {
  kind: 'auth';
  factory(config: BackendConfig): Promise<LogicalBackend>;
}

/** What a storage backend factory receives. */
export interface StorageContext {
  logger: Logger;
}

/** A storage backend: produces a store from the `storage` stanza's settings. */
export interface StoragePlugin extends PluginMetadata {
  kind: 'storage';
  /**
   * Names of the settings the backend accepts; any other setting in the
   * stanza stops start-up with an error naming it.
   */
  settings: readonly string[];
  create(settings: Record<string, string>, context: StorageContext): Promise<ClosableStorage>;
}
