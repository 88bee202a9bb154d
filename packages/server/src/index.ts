/**
 * @coffer/server: the Coffer core and its HTTP API.
 */
export { COFFER_VERSION } from './version.js';
export { startServer, type StartOptions, type RunningServer } from './server.js';
export { Core } from './core.js';
export { loadConfig, ConfigError, type ServerConfig, type ListenerConfig } from './config/index.js';
export { loadMigrationConfig, migrateStorage, type MigrationConfig, type MigrationResult } from './snapshot/migrate.js';
export { ExternalSeal } from './plugin/seal-client.js';
export { ExternalStorage } from './plugin/storage-client.js';
export type { ConfigPluginOptions } from './plugin/config-plugin.js';
