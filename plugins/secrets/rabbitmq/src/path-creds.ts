/**
 * `creds/:name`: creates a RabbitMQ user for a role and returns it under a
 * lease. The `creds` secret type renews a lease within `config/lease`'s max
 * TTL (RabbitMQ users do not expire, so nothing changes in RabbitMQ) and
 * revokes it by deleting the user.
 */
import {
  badRequest,
  CofferError,
  defineSecret,
  definePath,
  type KeyedLock,
  nameSegment,
  renderUsernameTemplate,
  secretResponse,
  type FieldMap,
  type Logger,
  type PathDefinition,
  type Request,
  type SecretType,
  type Storage,
  type SystemView,
  type WriteAheadLog,
} from '@coffer/sdk';
import { ManagementClient, ManagementError } from './management.js';
import { newPassword } from './password.js';
import { DEFAULT_USERNAME_TEMPLATE, readConnection, readLease, readRole, type ConnectionConfig, type Role } from './store.js';

/** The write-ahead log kind of a user that was created but not yet handed out. */
export const WAL_KIND_USER = 'user';

export interface CredsDeps {
  system: SystemView;
  wal: WriteAheadLog;
  logger: Logger;
  /**
   * Serializes the creation and deletion of each RabbitMQ username, so that
   * two reads of creds whose template yields the same name cannot both find
   * it free and both create it.
   */
  userLocks: KeyedLock;
}

/** The data stored with a write-ahead record of kind {@link WAL_KIND_USER}. */
export interface UserWalData {
  username: string;
}

export function credsSecret(deps: CredsDeps): SecretType<FieldMap> {
  return defineSecret({
    type: 'creds',
    fields: {
      username: { type: 'string', description: 'The RabbitMQ user of the lease.' },
      password: { type: 'string', description: 'The password of that user.' },
    },
    renew: async (request) => {
      const limits = await leaseLimits(deps.system, request.storage);
      const ttl = renewalTtl(request, limits.ttl, limits.maxTtl);
      return { secret: { ttl, maxTtl: limits.maxTtl, renewable: true, internalData: request.secret!.internalData } };
    },
    revoke: async (request) => {
      const username = request.secret!.internalData.username;
      if (typeof username !== 'string' || username === '') throw new CofferError('COFFER_ERR_INTERNAL', 500, 'secret is missing username internal data');
      await deleteUser(deps, request.storage, username);
      return null;
    },
  });
}

export function pathCreds(deps: CredsDeps, secret: SecretType<FieldMap>): PathDefinition<FieldMap> {
  return definePath({
    pattern: `creds/${nameSegment('name')}`,
    fields: { name: { type: 'string', description: 'Name of the role.', required: true } },
    operations: {
      read: async (request, fields) => issueCredentials(deps, secret, request, fields.get('name')),
    },
    helpSynopsis: 'Create RabbitMQ credentials for a role.',
    helpDescription: `
Creates a RabbitMQ user with a generated password and the role's tags, vhost
permissions and topic permissions, and returns the username and password
under a lease. Revoking the lease deletes the user.`,
  });
}

async function issueCredentials(deps: CredsDeps, secret: SecretType<FieldMap>, request: Request, name: string) {
  const role = await readRole(request.storage, name);
  if (role === null) throw badRequest(`unknown role: ${name}`);
  const config = await requireConnection(request.storage);
  const limits = await leaseLimits(deps.system, request.storage);

  const username = generateUsername(config, request.displayName ?? '', name);
  const password = await newPassword(deps.system, config.passwordPolicy);
  const client = new ManagementClient(config);
  const walId = await deps.userLocks.run(username, async () => {
    // A PUT on an existing user would overwrite its password, and a failure after it would delete someone else's user.
    if (await management(() => client.userExists(username))) {
      throw badRequest(`user "${username}" already exists in RabbitMQ; make username_template generate unique names, e.g. with (uuid)`);
    }

    // The record outlives a crash before the response, and the periodic pass then deletes the user.
    const id = await deps.wal.put(WAL_KIND_USER, { username } satisfies UserWalData);
    try {
      await management(() => createUser(client, username, password, role));
    } catch (err) {
      await client.deleteUser(username).then(
        () => deps.wal.delete(id),
        (deleteErr: unknown) => deps.logger.error({ err: (deleteErr as Error).message, role: name, walId: id }, 'failed to delete a half-created rabbitmq user; the periodic pass retries'),
      );
      throw err;
    }
    return id;
  });

  const response = secretResponse(secret, { username, password }, { username, role: name }, { ttl: limits.ttl, maxTtl: limits.maxTtl });
  await deps.wal.delete(walId);
  return response;
}

/** Creates the user, then grants the role's vhost and topic permissions, in that order. */
async function createUser(client: ManagementClient, username: string, password: string, role: Role): Promise<void> {
  await client.putUser(username, password, role.tags);
  for (const [vhost, permission] of Object.entries(role.vhosts)) {
    await client.setPermissions(vhost, username, permission);
  }
  for (const [vhost, exchanges] of Object.entries(role.vhostTopics)) {
    for (const [exchange, permission] of Object.entries(exchanges)) {
      await client.setTopicPermissions(vhost, username, exchange, permission);
    }
  }
}

/** Deletes a user through the stored connection; a user already gone counts as deleted. */
export async function deleteUser(deps: Pick<CredsDeps, 'logger' | 'userLocks'>, storage: Storage, username: string): Promise<void> {
  const config = await requireConnection(storage);
  const deleted = await deps.userLocks.run(username, () => management(() => new ManagementClient(config).deleteUser(username)));
  if (!deleted) deps.logger.info({ username }, 'rabbitmq user to delete was already gone');
}

async function requireConnection(storage: Storage): Promise<ConnectionConfig> {
  const config = await readConnection(storage);
  if (config === null) throw badRequest('no connection configured: write config/connection first');
  return config;
}

/**
 * Renders the connection's username template.
 * @throws CofferError (500) when the template fails or yields an empty name.
 */
function generateUsername(config: ConnectionConfig, displayName: string, roleName: string): string {
  let username: string;
  try {
    username = renderUsernameTemplate(config.usernameTemplate || DEFAULT_USERNAME_TEMPLATE, { displayName, roleName });
  } catch (err) {
    throw new CofferError('COFFER_ERR_INTERNAL', 500, `failed to generate username: ${(err as Error).message}`);
  }
  if (username.trim() === '') throw new CofferError('COFFER_ERR_INTERNAL', 500, 'failed to generate username: username_template produced an empty name');
  // The name goes into URL paths, where "." and ".." are path steps that would address other API paths.
  if (username === '.' || username === '..') {
    throw new CofferError('COFFER_ERR_INTERNAL', 500, `failed to generate username: username_template produced "${username}", which the RabbitMQ management API cannot address`);
  }
  return username;
}

/**
 * Runs a management API call and turns its failure into a 500 that carries
 * RabbitMQ's scrubbed message; without this the server would return only
 * "internal error".
 */
async function management<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ManagementError) throw new CofferError('COFFER_ERR_RABBITMQ', 500, err.message);
    throw err;
  }
}

/**
 * Returns the TTL and max TTL of new leases in seconds: `config/lease`'s
 * values, else the mount's, and never more than the mount's max TTL, which
 * the server enforces on every lease.
 */
async function leaseLimits(system: SystemView, storage: Storage): Promise<{ ttl: number; maxTtl: number }> {
  const lease = await readLease(storage);
  const mountMax = system.maxLeaseTtl();
  const configMax = lease?.maxTtl || mountMax;
  const maxTtl = mountMax > 0 ? Math.min(configMax, mountMax) : configMax;
  const ttl = lease?.ttl || system.defaultLeaseTtl();
  return { ttl: maxTtl > 0 ? Math.min(ttl, maxTtl) : ttl, maxTtl };
}

/**
 * Computes the TTL of a renewal: the requested increment, else the
 * configured default, cut so the lease ends no later than its max TTL after issue.
 * @throws CofferError (400) with Vault's message when the max TTL has passed.
 */
function renewalTtl(request: Request, defaultTtl: number, maxTtl: number): number {
  const secret = request.secret!;
  const requested = secret.increment > 0 ? secret.increment : defaultTtl;
  if (maxTtl <= 0) return requested;
  const elapsed = Math.floor((Date.now() - Date.parse(secret.issueTime)) / 1000);
  if (maxTtl - elapsed <= 0) throw badRequest('past the max TTL, cannot renew');
  return Math.min(requested, maxTtl - elapsed);
}
