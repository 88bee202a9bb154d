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
 * - `ha_enabled` (default `false`) and `ha_table` (default `vault_ha_locks`):
 *   checked and accepted, but the HA lock is not implemented yet, so a
 *   server with `ha_enabled = "true"` logs a warning and runs as the only
 *   active server.
 */
import { SDK_VERSION, type StoragePlugin } from '@coffer/sdk';
import { PostgresqlStorage } from './postgresql.js';
import { parseSettings, SETTING_NAMES } from './settings.js';

export { PostgresqlStorage } from './postgresql.js';
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
