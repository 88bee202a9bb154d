/**
 * The LDAP secrets engine: static roles that rotate the passwords of
 * existing accounts, dynamic roles that create accounts from LDIF
 * templates under a lease, and library sets that lend existing accounts. The API follows Vault's ldap engine; storage
 * keys are listed in store.ts.
 */
import { Backend, KeyedLock, WriteAheadLog, type BackendConfig, type WalEntry } from '@coffer/sdk';
import { applyCleanup, dynamicSecret, pathCreds, WAL_KIND_DYNAMIC, type DynamicWalData } from './path-creds.js';
import { pathConfig, pathRotateRoot, rollForwardRoot, WAL_KIND_ROOT } from './path-config.js';
import { pathRoles, pathRolesList } from './path-roles.js';
import { pathRotateRole, pathStaticCreds, pathStaticRoles, pathStaticRolesList } from './path-static-roles.js';
import { rollForwardStatic, rotateDueStaticRoles, WAL_KIND_STATIC } from './rotation.js';
import { rollForwardLibrary, WAL_KIND_LIBRARY } from './library.js';
import {
  librarySecret,
  pathLibraryCheckIn,
  pathLibraryCheckOut,
  pathLibraryList,
  pathLibraryManageCheckIn,
  pathLibrarySet,
  pathLibraryStatus,
} from './path-library.js';

const HELP = `
The LDAP secrets engine manages accounts in an LDAP directory. Write the
directory and a bind account to config. A static role (static-role/<name>)
rotates the password of an existing account on a schedule, and
static-cred/<name> returns it. A dynamic role (role/<name>) creates an account
from LDIF for each read of creds/<name> and deletes it when the lease ends. A
library set (library/<set>) lends existing accounts through check-out and
check-in, with a new password each time.`;

/** How long a write-ahead record must age before the periodic pass acts on it, in seconds. */
const WAL_MIN_AGE_SECONDS = 60;

export function createBackend(config: BackendConfig): Backend {
  const wal = new WriteAheadLog(config.storage);
  const deps = { wal, logger: config.logger, system: config.system, locks: new KeyedLock() };
  const dynamic = dynamicSecret(deps);
  const library = librarySecret(deps);

  // Throwing keeps the record for the next pass.
  const rollback = async (entry: WalEntry): Promise<void> => {
    config.logger.warn({ walId: entry.id, kind: entry.kind }, 'finishing an interrupted ldap change');
    if (entry.kind === WAL_KIND_ROOT) await rollForwardRoot(deps, config.storage, String(entry.data.password));
    else if (entry.kind === WAL_KIND_STATIC) await rollForwardStatic(deps, config.storage, entry);
    else if (entry.kind === WAL_KIND_LIBRARY) await rollForwardLibrary(deps, config.storage, entry);
    else if (entry.kind === WAL_KIND_DYNAMIC) await applyCleanup(config.storage, 'rollback_ldif', (entry.data as unknown as DynamicWalData).cleanupLdif);
  };

  return new Backend({
    backendType: 'logical',
    help: HELP,
    paths: [
      pathConfig(deps),
      pathRotateRoot(deps),
      pathStaticRolesList(),
      pathStaticRoles(deps),
      pathStaticCreds(),
      pathRotateRole(deps),
      pathRolesList(),
      pathRoles(deps),
      pathCreds(deps, dynamic),
      // library/manage/... comes before library/<set> paths; a set named "manage" cannot be reached otherwise.
      pathLibraryManageCheckIn(deps),
      pathLibraryList(),
      pathLibrarySet(deps),
      pathLibraryStatus(),
      pathLibraryCheckOut(deps, library),
      pathLibraryCheckIn(deps),
    ],
    secrets: [dynamic, library],
    wal: { log: wal, rollback, minAgeSeconds: WAL_MIN_AGE_SECONDS },
    periodic: () => rotateDueStaticRoles(deps, config.storage),
  });
}
