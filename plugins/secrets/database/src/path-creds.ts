/**
 * `creds/:name`: creates a database user for a dynamic role and returns it
 * under a lease. The `creds` secret type renews a lease by extending the
 * user's expiry and revokes it by dropping the user.
 */
import {
  badRequest,
  defineSecret,
  definePath,
  nameSegment,
  secretResponse,
  type FieldMap,
  type Logger,
  type PathDefinition,
  type Request,
  type SecretType,
  type SystemView,
  type WriteAheadLog,
} from '@coffer/sdk';
import type { Connections } from './connections.js';
import { newPassword } from './password.js';
import { readRole, roleAllowed, type DynamicRole } from './store.js';

/** Seconds a new user stays valid past its lease's TTL, as in Vault. */
const EXPIRATION_MARGIN_SECONDS = 5;

/** The write-ahead log kind of a user that was created but not yet handed out. */
export const WAL_KIND_USER = 'user';

export interface CredsDeps {
  connections: Connections;
  system: SystemView;
  wal: WriteAheadLog;
  logger: Logger;
}

/** The data stored with a write-ahead record of kind {@link WAL_KIND_USER}. */
export interface UserWalData {
  dbName: string;
  username: string;
  revocationStatements: string[];
}

export function credsSecret(deps: CredsDeps): SecretType<FieldMap> {
  return defineSecret({
    type: 'creds',
    fields: {
      username: { type: 'string', description: 'The database user of the lease.' },
    },
    renew: async (request) => {
      const internal = request.secret!.internalData;
      const role = await readRole(request.storage, String(internal.role ?? ''));
      if (role === null) throw badRequest(`cannot renew: role "${String(internal.role)}" no longer exists`);
      const { database } = await deps.connections.get(request.storage, String(internal.db_name));

      const limits = leaseLimits(deps.system, role);
      const ttl = renewalTtl(request, limits.ttl, limits.maxTtl);
      await database.updateUser({
        username: String(internal.username),
        expiration: { newExpiration: new Date(Date.now() + ttl * 1000), statements: { commands: role.renewStatements } },
      });
      return { secret: { ttl, maxTtl: limits.maxTtl, renewable: true, internalData: internal } };
    },
    revoke: async (request) => {
      const internal = request.secret!.internalData;
      const role = await readRole(request.storage, String(internal.role ?? ''));
      // A deleted role leaves the statements stored with the lease at issue time.
      const statements = role?.revocationStatements ?? (internal.revocation_statements as string[] | undefined) ?? [];
      const { database } = await deps.connections.get(request.storage, String(internal.db_name));
      await database.deleteUser({ username: String(internal.username), statements: { commands: statements } });
      return null;
    },
  });
}

export function pathCreds(deps: CredsDeps, secret: SecretType<FieldMap>): PathDefinition<FieldMap> {
  return definePath({
    pattern: `creds/${nameSegment('name')}`,
    fields: { name: { type: 'string', description: 'Name of the dynamic role.', required: true } },
    operations: {
      read: async (request, fields) => issueCredentials(deps, secret, request, fields.get('name')),
    },
    helpSynopsis: 'Create database credentials for a role.',
    helpDescription: 'Creates a new database user with the role\'s creation statements and returns its username and password under a lease.',
  });
}

async function issueCredentials(deps: CredsDeps, secret: SecretType<FieldMap>, request: Request, name: string) {
  const role = await readRole(request.storage, name);
  if (role === null) throw badRequest(`unknown role: ${name}`);
  const { database, config } = await deps.connections.get(request.storage, role.dbName);
  if (!roleAllowed(config, name)) throw badRequest(`"${name}" is not an allowed role of connection "${role.dbName}"`);

  const { ttl: leaseTtl, maxTtl } = leaseLimits(deps.system, role);
  const password = await newPassword(deps.system, config);
  const { username } = await database.newUser({
    usernameConfig: { displayName: request.displayName ?? 'token', roleName: name },
    password,
    // The server revokes the lease when its TTL ends, so the user must not expire before then.
    expiration: new Date(Date.now() + (leaseTtl + EXPIRATION_MARGIN_SECONDS) * 1000),
    statements: { commands: role.creationStatements },
    rollbackStatements: { commands: role.rollbackStatements },
  });

  // The record outlives a crash before the response, and the periodic pass then drops the user.
  const walData: UserWalData = { dbName: role.dbName, username, revocationStatements: role.revocationStatements };
  const walId = await deps.wal.put(WAL_KIND_USER, { ...walData });
  try {
    const response = secretResponse(
      secret,
      { username, password },
      { username, role: name, db_name: role.dbName, revocation_statements: role.revocationStatements },
      { ttl: leaseTtl, maxTtl },
    );
    await deps.wal.delete(walId);
    return response;
  } catch (err) {
    await rollBackUser(deps, request, walData).catch((rollbackErr: unknown) => {
      deps.logger.error({ err: (rollbackErr as Error).message, role: name, walId }, 'failed to drop a user after a failed issue; the periodic pass retries');
    });
    throw err;
  }
}

/** Drops a user whose credentials were never handed out. */
export async function rollBackUser(deps: Pick<CredsDeps, 'connections'>, request: Pick<Request, 'storage'>, data: UserWalData): Promise<void> {
  const { database } = await deps.connections.get(request.storage, data.dbName);
  await database.deleteUser({ username: data.username, statements: { commands: data.revocationStatements } });
}

/**
 * Returns the TTL and max TTL of a role's leases in seconds: the role's
 * values, or else the mount's, and never more than the mount's max TTL,
 * which the server enforces on every lease.
 */
function leaseLimits(system: SystemView, role: DynamicRole): { ttl: number; maxTtl: number } {
  const mountMax = system.maxLeaseTtl();
  const roleMax = role.maxTtl || mountMax;
  const maxTtl = mountMax > 0 ? Math.min(roleMax, mountMax) : roleMax;
  const ttl = role.defaultTtl || system.defaultLeaseTtl();
  return { ttl: maxTtl > 0 ? Math.min(ttl, maxTtl) : ttl, maxTtl };
}

/**
 * Computes the TTL of a renewal: the requested increment, else the role's or
 * mount's default, cut so the lease ends no later than its max TTL after issue.
 */
function renewalTtl(request: Request, defaultTtl: number, maxTtl: number): number {
  const secret = request.secret!;
  const requested = secret.increment > 0 ? secret.increment : defaultTtl;
  if (maxTtl <= 0) return requested;
  const elapsed = Math.floor((Date.now() - Date.parse(secret.issueTime)) / 1000);
  return Math.max(0, Math.min(requested, maxTtl - elapsed));
}
