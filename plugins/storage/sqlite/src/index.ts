/**
 * @coffer/storage-sqlite: the embedded default storage, one SQLite database
 * in WAL mode with group commit.
 *
 * Settings:
 * - `path` (required): the database file. Its folder is made (mode 0700)
 *   when missing; a relative path is taken from the server's working directory.
 * - `synchronous` (`full`, `extra` or `normal`; default `full`): SQLite's
 *   sync level. `full` makes every acknowledged write survive a power cut;
 *   `normal` survives a process crash but may lose the last commits on a
 *   power cut, in exchange for fewer fsyncs.
 * - `busy_timeout` (duration; default `5s`): how long a statement waits for
 *   a lock held by another connection, such as a backup tool, before failing.
 */
import { SDK_VERSION, type StoragePlugin } from '@coffer/sdk';
import { parseSettings, SETTING_NAMES } from './settings.js';
import { SqliteStorage } from './sqlite.js';

export { SqliteStorage, type SqliteCommitStats } from './sqlite.js';
export { parseSettings, type SqliteSettings, type SynchronousLevel } from './settings.js';

/** The sqlite plugin. */
export const plugin: StoragePlugin = {
  kind: 'storage',
  name: 'sqlite',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: SETTING_NAMES,
  async create(settings, { logger }) {
    return SqliteStorage.open(parseSettings(settings), logger.child({ storage: 'sqlite' }));
  },
};
