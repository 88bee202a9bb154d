/**
 * The AWS secrets engine: IAM users created on demand with a role's
 * policies, groups and tags under a lease, and temporary credentials from
 * STS AssumeRole and GetFederationToken. The API follows Vault's aws
 * engine; storage keys are listed in store.ts.
 */
import { Backend, KeyedLock, WriteAheadLog, type BackendConfig, type WalEntry } from '@coffer/sdk';
import { pathConfigLease, pathConfigRoot, pathConfigRotateRoot } from './path-config.js';
import { accessKeysSecret, pathCreds, rollBackUser, WAL_KIND_USER, type UserWalData } from './path-creds.js';
import { pathRoles, pathRolesList } from './path-roles.js';

const HELP = `
The AWS secrets engine issues AWS credentials on demand. Write an IAM user's
access key to config/root and a role to roles/<name>, then read
creds/<name>: an iam_user role gets a new IAM user deleted when its lease is
revoked, and assumed_role and federation_token roles get STS credentials.`;

/** How long a write-ahead record must age before the periodic pass acts on it, in seconds. */
const WAL_MIN_AGE_SECONDS = 60;

export function createBackend(config: BackendConfig): Backend {
  const wal = new WriteAheadLog(config.storage);
  const deps = { wal, logger: config.logger, system: config.system, userLocks: new KeyedLock() };
  const configDeps = { logger: config.logger, rootLock: new KeyedLock() };
  const secret = accessKeysSecret(deps);

  const rollback = async (entry: WalEntry): Promise<void> => {
    if (entry.kind !== WAL_KIND_USER) return;
    const { username } = entry.data as unknown as UserWalData;
    await rollBackUser(deps, config.storage, entry.id, username);
  };

  return new Backend({
    backendType: 'logical',
    help: HELP,
    paths: [
      pathConfigRoot(configDeps),
      pathConfigRotateRoot(configDeps),
      pathConfigLease(),
      pathRolesList(),
      pathRoles(),
      pathCreds(deps, secret, 'creds'),
      pathCreds(deps, secret, 'sts'),
    ],
    secrets: [secret],
    wal: { log: wal, rollback, minAgeSeconds: WAL_MIN_AGE_SECONDS },
  });
}
