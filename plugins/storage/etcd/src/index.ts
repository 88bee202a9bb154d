/**
 * @coffer/storage-etcd: storage under one key prefix of an etcd cluster,
 * through etcd's v3 API, in the layout of Vault's etcd backend.
 *
 * Settings (Vault's names and defaults):
 * - `address` (default `http://127.0.0.1:2379`): comma-separated client URLs.
 * - `path` (default `/vault/`): the key prefix.
 * - `etcd_api` (default `v3`): only `v3` is supported.
 * - `tls_ca_file`, `tls_cert_file`, `tls_key_file`, `tls_server_name`: TLS
 *   for `https://` addresses; without a CA file the system's CAs verify the server.
 * - `username`, `password`: etcd's user login, both or neither.
 * - `request_timeout` (default `5s`): the deadline of each request.
 * - `ha_enabled` (default `false`): elect one active server among those
 *   sharing the prefix, through a lock key under a lease.
 * - `session_ttl` (default `15s`): the TTL of that lease, so the longest a
 *   standby waits after the active server dies. Keep-alives go every third of it.
 */
import { SDK_VERSION, type StoragePlugin } from '@coffer/sdk';
import { EtcdStorage } from './etcd.js';
import { parseSettings, SETTING_NAMES } from './settings.js';

export { EtcdStorage, DEFAULT_LIST_BATCH, type EtcdStorageOptions } from './etcd.js';
export { parseSettings, type EtcdSettings } from './settings.js';
export { lockKeyFor, timingForTtl, type LockTiming } from './etcd-ha.js';

/** The etcd plugin. */
export const plugin: StoragePlugin = {
  kind: 'storage',
  name: 'etcd',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: SETTING_NAMES,
  async create(settings, { logger }) {
    return EtcdStorage.open(parseSettings(settings), logger.child({ storage: 'etcd' }));
  },
};
