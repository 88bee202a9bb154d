/**
 * @coffer/storage-postgresql: storage in one PostgreSQL table, in the
 * layout of Vault's postgresql backend.
 *
 * Settings:
 * - `connection_url` (required): a `postgres://` or `postgresql://` URL,
 *   e.g. `postgres://coffer:secret@db.internal:5432/coffer?sslmode=require`.
 * - `table` (default `vault_kv_store`): the data table, optionally
 *   `schema.table`. It is created when missing.
 * - `max_parallel` (default 16): the size of the connection pool.
 * - `ha_enabled` (default `false`): elect one active server among those
 *   sharing the database, through a lock row in `ha_table`.
 * - `ha_table` (default `vault_ha_locks`): the lock table, created when missing.
 * - `ha_lock_ttl` (default `15s`, Coffer's addition): how long the active
 *   server keeps the lock without renewing it, so the longest a standby
 *   waits after the active server dies. Renewals run every third of it.
 */
import { SDK_VERSION, type StoragePlugin } from '@coffer/sdk';
import { PostgresqlStorage } from './postgresql.js';
import { parseSettings, SETTING_NAMES } from './settings.js';

export { PostgresqlStorage, type PostgresqlStorageOptions } from './postgresql.js';
export { DEFAULT_LOCK_TIMING, timingForTtl, type LockTiming } from './postgresql-ha.js';
export { parseSettings, redactUrl, type PostgresqlSettings } from './settings.js';

/** The postgresql plugin. */
export const plugin: StoragePlugin = {
  kind: 'storage',
  name: 'postgresql',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: SETTING_NAMES,
  async create(settings, { logger }) {
    return PostgresqlStorage.open(parseSettings(settings), logger.child({ storage: 'postgresql' }));
  },
};
