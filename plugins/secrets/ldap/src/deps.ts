/**
 * What the engine's paths share: the system view, the write-ahead log, the
 * logger, and one lock per object so that rotations and writes of the same
 * config or role run one at a time.
 */
import { badRequest, CofferError, type KeyedLock, type Logger, type Storage, type SystemView, type WriteAheadLog } from '@coffer/sdk';
import { DirectoryError } from './directory.js';
import { readConfig, type LdapConfig } from './store.js';

export interface EngineDeps {
  system: SystemView;
  wal: WriteAheadLog;
  logger: Logger;
  /** Keys: `config`, `static-role/<name>`, `role/<name>`, `library/<set>`. */
  locks: KeyedLock;
}

/** Returns the stored config. @throws CofferError (400) when there is none. */
export async function requireConfig(storage: Storage): Promise<LdapConfig> {
  const config = await readConfig(storage);
  if (config === null) throw badRequest('the LDAP secrets engine is not configured: write config first');
  return config;
}

/**
 * Runs a directory call and turns its failure into a 500 carrying the
 * directory's message, which names no password; without this the server
 * would return only "internal error".
 */
export async function directoryCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof DirectoryError) throw new CofferError('COFFER_ERR_LDAP', 500, err.message);
    throw err;
  }
}
