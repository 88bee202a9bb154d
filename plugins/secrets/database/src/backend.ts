/**
 * The database secrets engine: connections to databases through database
 * plugins, dynamic roles that create users on demand under a lease, and
 * static roles that rotate the password of an existing account. The API
 * follows Vault's database engine; storage keys are listed in store.ts.
 *
 * The engine reaches plugins only through `SystemView.openDatabase`, so a
 * built-in plugin and one in the catalog are used the same way.
 */
import { Backend, WriteAheadLog, type BackendConfig, type WalEntry } from '@coffer/sdk';
import { Connections } from './connections.js';
import { pathConfig, pathConfigList, pathReset } from './path-config.js';
import { credsSecret, pathCreds, rollBackUser, WAL_KIND_USER, type UserWalData } from './path-creds.js';
import { pathRoles, pathRolesList } from './path-roles.js';
import { pathRotateRole, pathRotateRoot } from './path-rotate.js';
import { pathStaticCreds, pathStaticRoles, pathStaticRolesList } from './path-static-roles.js';
import { rollForward, rotateDueStaticRoles } from './rotation.js';

const HELP = `
The database secrets engine creates database users on demand with a lease, and
rotates the passwords of existing accounts. Write a connection to config/<name>,
then a role to roles/<name> and read creds/<name>, or a static role to
static-roles/<name> and read static-creds/<name>.`;

/** How long a write-ahead record must age before the periodic pass acts on it, in seconds. */
const WAL_MIN_AGE_SECONDS = 60;

export function createBackend(config: BackendConfig): Backend {
  const connections = new Connections(config.system, config.logger);
  const wal = new WriteAheadLog(config.storage);
  const deps = { connections, wal, logger: config.logger, system: config.system };
  const creds = credsSecret(deps);

  const rollback = async (entry: WalEntry): Promise<void> => {
    config.logger.warn({ walId: entry.id, kind: entry.kind }, 'finishing an interrupted database change');
    if (entry.kind === WAL_KIND_USER) await rollBackUser(deps, config, entry.data as unknown as UserWalData);
    else await rollForward(deps, config.storage, entry);
  };

  return new Backend({
    backendType: 'logical',
    help: HELP,
    paths: [
      pathConfigList(),
      pathConfig(connections),
      pathReset(connections),
      pathRotateRoot(deps),
      pathRotateRole(deps),
      pathRolesList(),
      pathRoles(),
      pathCreds(deps, creds),
      pathStaticRolesList(),
      pathStaticRoles(deps),
      pathStaticCreds(),
    ],
    secrets: [creds],
    wal: { log: wal, rollback, minAgeSeconds: WAL_MIN_AGE_SECONDS },
    periodic: () => rotateDueStaticRoles(deps, config.storage),
    invalidate: (key) => {
      if (key.startsWith('config/')) void connections.close(key.slice('config/'.length));
    },
    cleanup: () => connections.closeAll(),
  });
}
