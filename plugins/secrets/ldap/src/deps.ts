/**
 * Dependencies the engine's paths share: the system view, the write-ahead
 * log, the logger, and one lock per object, so that rotations and writes of
 * the same config or role run one at a time.
 */
import { badRequest, CofferError, type KeyedLock, type Logger, type Storage, type SystemView, type WriteAheadLog } from '@coffer/sdk';
import { DirectoryError, withDirectory } from './directory.js';
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
 * Runs a directory call and turns its failure into a 500 with the
 * directory's message, which names no password. Without this the server
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

/**
 * Searches `userdn` for the one entry whose `userattr` is `username`; `field` names the request field in errors.
 * @throws CofferError (400) when there is none or more than one.
 */
export async function findAccountDn(storage: Storage, username: string, field: string): Promise<string> {
  const config = await requireConfig(storage);
  if (config.userdn === '') throw badRequest(`invalid field "${field}": cannot search for "${username}" because the config sets no "userdn"`);
  const dns = await directoryCall(() =>
    withDirectory(config, config.binddn, config.bindpass, (directory) => directory.findDns(config.userdn, config.userattr, username, config.requestTimeout)),
  );
  if (dns.length === 0) throw badRequest(`invalid field "${field}": no entry under "${config.userdn}" has ${config.userattr}=${username}`);
  if (dns.length > 1) throw badRequest(`invalid field "${field}": more than one entry under "${config.userdn}" has ${config.userattr}=${username}; set "dn"`);
  return dns[0];
}
