/**
 * Plugin metadata and factories. The server checks `kind` and `sdkVersion`
 * at load and rejects a plugin whose declaration does not fit.
 */
import type { AuditContext, AuditDevice } from './audit.js';
import type { Database } from './database.js';
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

/** Context passed to a storage backend factory. */
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

/**
 * An audit device type: produces a device for each `sys/audit/:path` enable
 * and again for each enabled device at every unseal.
 */
export interface AuditPlugin extends PluginMetadata {
  kind: 'audit';
  /**
   * Names of the device's own options, besides the common ones in
   * `COMMON_AUDIT_OPTIONS`. An enable request with any other option is
   * rejected with an error naming it.
   */
  settings: readonly string[];
  /**
   * Validates `options` and opens the device.
   * @throws Error with a message naming the option and the fix; the enable
   *   request fails with 400 and that message, and nothing is stored.
   */
  create(options: Record<string, string>, context: AuditContext): Promise<AuditDevice>;
}

/**
 * A database plugin: manages users in one kind of database for the
 * database secrets engine, as Vault's dbplugin version 5 does. The engine
 * calls `create` once per connection (`config/:name`) and then
 * `Database.initialize` with the connection's settings.
 */
export interface DatabasePlugin extends PluginMetadata {
  kind: 'database';
  /** Opens an unconfigured connection object; it must not connect yet. */
  create(): Promise<Database>;
}
