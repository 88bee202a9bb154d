/**
 * The server configuration file: HCL or JSON in Vault's shape, read by
 * `coffer server -config FILE`.
 */
export { loadConfig } from './load.js';
export { ConfigError, type ConfigErrorLocation } from './errors.js';
export {
  DEFAULT_CACHE_SIZE,
  DEFAULT_LEASE_TTL_SECONDS,
  DEFAULT_LISTENER_ADDRESS,
  type ListenerConfig,
  type LogLevel,
  type SealConfig,
  type ServerConfig,
  type StorageConfig,
  type UserLockoutConfig,
} from './types.js';
export { KNOWN_LISTENER_SETTINGS, KNOWN_TOP_LEVEL_SETTINGS } from './schema.js';
