/**
 * The RabbitMQ secrets engine: users created on demand through the
 * RabbitMQ management HTTP API, with a role's tags, vhost permissions and
 * topic permissions, under a lease. The API follows Vault's rabbitmq
 * engine; storage keys are listed in store.ts.
 */
import { Backend, KeyedLock, WriteAheadLog, type BackendConfig, type WalEntry } from '@coffer/sdk';
import { pathConfigConnection, pathConfigLease } from './path-config.js';
import { credsSecret, deleteUser, pathCreds, WAL_KIND_USER, type UserWalData } from './path-creds.js';
import { pathRoles, pathRolesList } from './path-roles.js';

const HELP = `
The RabbitMQ secrets engine creates RabbitMQ users on demand with a lease.
Write the management API and an administrator to config/connection, a role to
roles/<name>, then read creds/<name>. Revoking the lease deletes the user.`;

/** How long a write-ahead record must age before the periodic pass acts on it, in seconds. */
const WAL_MIN_AGE_SECONDS = 60;

export function createBackend(config: BackendConfig): Backend {
  const wal = new WriteAheadLog(config.storage);
  const deps = { wal, logger: config.logger, system: config.system, userLocks: new KeyedLock() };
  const creds = credsSecret(deps);

  const rollback = async (entry: WalEntry): Promise<void> => {
    if (entry.kind !== WAL_KIND_USER) return;
    const { username } = entry.data as unknown as UserWalData;
    config.logger.warn({ walId: entry.id, username }, 'deleting a rabbitmq user whose credentials were never issued');
    await deleteUser(deps, config.storage, username);
  };

  return new Backend({
    backendType: 'logical',
    help: HELP,
    paths: [pathConfigConnection(config.system), pathConfigLease(), pathRolesList(), pathRoles(), pathCreds(deps, creds)],
    secrets: [creds],
    wal: { log: wal, rollback, minAgeSeconds: WAL_MIN_AGE_SECONDS },
  });
}
