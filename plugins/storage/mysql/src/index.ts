/**
 * @coffer/storage-mysql: storage in one MySQL or MariaDB table, in the
 * layout of Vault's mysql backend, with an optional HA lock.
 *
 * Settings (Vault's names and defaults unless marked):
 * - `address` (default `127.0.0.1:3306`): the server, as `host:port`.
 * - `username` (required) and `password` (required, may be empty): the account.
 * - `database` (default `vault`) and `table` (default `vault`): created when missing.
 * - `tls_ca_file`: CA certificates in PEM; when set, every connection uses TLS.
 * - `plaintext_connection_allowed` (default `false`): allows a connection
 *   without TLS to an address that is not loopback. Vault only warns
 *   there; Coffer rejects the config unless this is `true`.
 * - `max_parallel` (default 16, Vault's is 128): the size of the connection pool.
 * - `max_idle_connections` (default 0, meaning 2): idle connections kept
 *   open; negative keeps none, more than `max_parallel` is cut to it.
 * - `max_connection_lifetime` (default 0, no limit): seconds a connection is reused.
 * - `ha_enabled` (default `false`): elect one active server among those
 *   sharing the database, through a lease row in `lock_table`.
 * - `lock_table` (default `<table>_lock`): the lock table, created when missing.
 * - `ha_lock_ttl` (default `15s`, Coffer's addition): how long the active
 *   server keeps the lock without renewing it. Renewals run every third of it.
 */
import { SDK_VERSION, type StoragePlugin } from '@coffer/sdk';
import { MysqlStorage } from './mysql.js';
import { parseSettings, SETTING_NAMES } from './settings.js';

export { MysqlStorage, type MysqlStorageOptions } from './mysql.js';
export { timingForTtl, type LockTiming } from './mysql-ha.js';
export { isLoopback, parseSettings, type MysqlSettings } from './settings.js';

/** The mysql plugin. */
export const plugin: StoragePlugin = {
  kind: 'storage',
  name: 'mysql',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: SETTING_NAMES,
  async create(settings, { logger }) {
    return MysqlStorage.open(parseSettings(settings), logger.child({ storage: 'mysql' }));
  },
};
