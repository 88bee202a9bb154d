/**
 * `creds/:name` and `sts/:name` (read, write): credentials for a role. An
 * iam_user role gets a new IAM user and access key under a renewable lease
 * whose revocation deletes the user. STS roles get temporary credentials
 * that AWS expires, under a lease that cannot be renewed and whose
 * revocation changes nothing in AWS, as in Vault.
 */
import { AssumeRoleCommand, GetFederationTokenCommand, type Credentials } from '@aws-sdk/client-sts';
import {
  badRequest,
  CofferError,
  definePath,
  defineSecret,
  nameSegment,
  secretResponse,
  type FieldData,
  type FieldMap,
  type KeyedLock,
  type Logger,
  type PathDefinition,
  type Request,
  type Response,
  type SecretType,
  type Storage,
  type SystemView,
  type WriteAheadLog,
} from '@coffer/sdk';
import { callAws, iamClient, stsClient } from './clients.js';
import { groupPolicies } from './group-policies.js';
import { createIamUser, deleteIamUser, USER_EXISTS } from './iam-user.js';
import { readLease, readRole, readRoot, type Role, type RootConfig } from './store.js';
import { generateUsername } from './username.js';

/** The write-ahead log kind of an IAM user that was created but not yet handed out. */
export const WAL_KIND_USER = 'user';

/** Vault's `secret_type` of issued credentials. */
export const SECRET_TYPE = 'access_keys';

/** The STS TTL when neither the request nor the role sets one, in seconds, as in Vault. */
const DEFAULT_STS_TTL = 3600;

const CREDS_FIELDS = {
  name: { type: 'string', description: 'Name of the role.', required: true },
  ttl: { type: 'duration', description: 'TTL of STS credentials; defaults to the role\'s default_sts_ttl, else 3600 s. Ignored for iam_user.' },
  role_arn: { type: 'string', description: 'The role_arns entry to assume; required when an assumed_role role has more than one.' },
  role_session_name: { type: 'string', description: 'RoleSessionName for AssumeRole, cut to 64 characters; empty takes a generated name.' },
} as const;

type CredsFields = FieldData<typeof CREDS_FIELDS>;

export interface CredsDeps {
  system: SystemView;
  wal: WriteAheadLog;
  logger: Logger;
  /** Serializes creating and deleting each IAM user name. */
  userLocks: KeyedLock;
}

/** The data stored with a write-ahead record of kind {@link WAL_KIND_USER}. */
export interface UserWalData {
  username: string;
}

export function accessKeysSecret(deps: CredsDeps): SecretType<FieldMap> {
  return defineSecret({
    type: SECRET_TYPE,
    fields: {
      access_key: { type: 'string', description: 'AWS access key ID.' },
      secret_key: { type: 'string', description: 'AWS secret access key.' },
      session_token: { type: 'string', description: 'Session token of STS credentials; null for IAM users.' },
    },
    renew: async (request) => {
      const secret = request.secret!;
      if (secret.internalData.is_sts === true) throw badRequest('STS credentials cannot be renewed');
      const limits = await leaseLimits(deps.system, request.storage);
      return { secret: { ttl: renewalTtl(request, limits.ttl, limits.maxTtl), maxTtl: limits.maxTtl, renewable: true, internalData: secret.internalData } };
    },
    revoke: async (request) => {
      const data = request.secret!.internalData;
      // AWS expires STS credentials by itself, and offers no call to revoke them early.
      if (data.is_sts === true) return null;
      if (typeof data.username !== 'string' || data.username === '') {
        throw new CofferError('COFFER_ERR_INTERNAL', 500, 'secret is missing username internal data');
      }
      await deleteUser(deps, request.storage, data.username);
      return null;
    },
  });
}

export function pathCreds(deps: CredsDeps, secret: SecretType<FieldMap>, prefix: 'creds' | 'sts'): PathDefinition<FieldMap> {
  const issue = (request: Request, fields: CredsFields) => issueCredentials(deps, secret, request, fields);
  return definePath({
    pattern: `${prefix}/${nameSegment('name')}`,
    fields: CREDS_FIELDS,
    operations: { read: issue, update: issue },
    helpSynopsis: 'Generate AWS credentials for a role.',
    helpDescription: `
For an iam_user role, creates an IAM user with the role's policies, groups and
tags and returns its new access key under a renewable lease; revoking the
lease deletes the user. For assumed_role and federation_token roles, returns
an access key, secret key and session token from STS, valid for "ttl".`,
  });
}

async function issueCredentials(deps: CredsDeps, secret: SecretType<FieldMap>, request: Request, fields: CredsFields): Promise<Response> {
  const roleName = fields.get('name');
  const role = await readRole(request.storage, roleName);
  if (role === null) throw badRequest(`unknown role: ${roleName}`);
  const config = await readRoot(request.storage);
  if (config === null) throw badRequest('no root credentials configured: write config/root first');

  if (role.credentialType === 'iam_user') return issueIamUser(deps, secret, request, config, roleName, role);
  return issueSts(deps, secret, request, config, roleName, role, fields);
}

async function issueIamUser(deps: CredsDeps, secret: SecretType<FieldMap>, request: Request, config: RootConfig, roleName: string, role: Role): Promise<Response> {
  const limits = await leaseLimits(deps.system, request.storage);
  const username = generateUsername(config.usernameTemplate, 'iam', request.displayName ?? '', roleName);
  const client = iamClient(config);
  try {
    const key = await deps.userLocks.run(username, async () => {
      // The record outlives a crash before the response, and the periodic pass then deletes the user.
      const id = await deps.wal.put(WAL_KIND_USER, { username } satisfies UserWalData);
      let created: { accessKeyId: string; secretAccessKey: string };
      try {
        created = await createIamUser(client, username, roleName, role);
      } catch (err) {
        await cleanUpHalfCreated(deps, client, username, roleName, id, err);
        throw err;
      }
      // Deleted under the lock: a periodic pass waiting on it then finds no record and keeps the user.
      await deps.wal.delete(id);
      return created;
    });
    deps.logger.info({ role: roleName, username, accessKeyId: key.accessKeyId }, 'created aws iam user');

    const data = { access_key: key.accessKeyId, secret_key: key.secretAccessKey, session_token: null, security_token: null };
    return secretResponse(secret, data, { username, policy: roleName, is_sts: false }, { ttl: limits.ttl, maxTtl: limits.maxTtl });
  } finally {
    client.destroy();
  }
}

/** Deletes a user whose creation failed part-way, unless it was never created or already exists for someone else. */
async function cleanUpHalfCreated(deps: CredsDeps, client: ReturnType<typeof iamClient>, username: string, roleName: string, walId: string, cause: unknown): Promise<void> {
  // A name clash means the user belongs to someone else, so it must not be deleted.
  if (cause instanceof CofferError && cause.code === USER_EXISTS) {
    await deps.wal.delete(walId);
    return;
  }
  try {
    await deleteIamUser(client, username);
    await deps.wal.delete(walId);
  } catch (err) {
    deps.logger.error({ err: (err as Error).message, role: roleName, username, walId }, 'failed to delete a half-created aws iam user; the periodic pass retries');
  }
}

async function issueSts(
  deps: CredsDeps,
  secret: SecretType<FieldMap>,
  request: Request,
  config: RootConfig,
  roleName: string,
  role: Role,
  fields: CredsFields,
): Promise<Response> {
  const ttl = stsTtl(deps.system, role, fields.getIfSet('ttl'));
  const name = generateUsername(config.usernameTemplate, 'sts', request.displayName ?? '', roleName);
  const policies = await stsPolicies(config, role);
  const policy = {
    ...(policies.document !== '' ? { Policy: policies.document } : {}),
    ...(policies.arns.length > 0 ? { PolicyArns: policies.arns.map((arn) => ({ arn })) } : {}),
  };

  const client = stsClient(config);
  let credentials: Credentials | undefined;
  let arn: string | undefined;
  try {
    if (role.credentialType === 'assumed_role') {
      const roleArn = chooseRoleArn(role, roleName, fields.get('role_arn'));
      const sessionName = (fields.get('role_session_name') || name).slice(0, 64);
      const tags = Object.entries(role.sessionTags).map(([Key, Value]) => ({ Key, Value }));
      const output = await callAws(`assume role ${roleArn}`, () =>
        client.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: sessionName,
            DurationSeconds: ttl,
            ...policy,
            ...(role.externalId !== '' ? { ExternalId: role.externalId } : {}),
            ...(tags.length > 0 ? { Tags: tags } : {}),
          }),
        ),
      );
      credentials = output.Credentials;
      arn = output.AssumedRoleUser?.Arn;
    } else {
      const output = await callAws('get a federation token', () => client.send(new GetFederationTokenCommand({ Name: name, DurationSeconds: ttl, ...policy })));
      credentials = output.Credentials;
      arn = output.FederatedUser?.Arn;
    }
  } finally {
    client.destroy();
  }
  if (credentials?.AccessKeyId === undefined || credentials.SecretAccessKey === undefined || credentials.SessionToken === undefined) {
    throw new CofferError('COFFER_ERR_AWS', 500, 'failed to get STS credentials: the response has no "Credentials"');
  }
  deps.logger.info({ role: roleName, accessKeyId: credentials.AccessKeyId, arn }, 'issued aws sts credentials');

  const data = {
    access_key: credentials.AccessKeyId,
    secret_key: credentials.SecretAccessKey,
    session_token: credentials.SessionToken,
    // Vault returns the session token under its old name as well.
    security_token: credentials.SessionToken,
    arn: arn ?? '',
    ttl,
  };
  return secretResponse(secret, data, { username: name, policy: roleName, is_sts: true }, { ttl, maxTtl: ttl, renewable: false });
}

/**
 * Returns the STS duration: the request's ttl, else the role's
 * default_sts_ttl, else 3600 s, capped at max_sts_ttl or, without one, the
 * mount's max lease TTL. Vault caps instead of rejecting, and so does this.
 */
function stsTtl(system: SystemView, role: Role, requested: number | undefined): number {
  const ttl = requested !== undefined && requested > 0 ? requested : role.defaultStsTtl || DEFAULT_STS_TTL;
  const max = role.maxStsTtl || system.maxLeaseTtl();
  return max > 0 ? Math.min(ttl, max) : ttl;
}

/** @throws CofferError (400) naming `role_arn` unless it picks one of the role's ARNs. */
function chooseRoleArn(role: Role, roleName: string, requested: string): string {
  if (requested === '') {
    if (role.roleArns.length === 1) return role.roleArns[0];
    throw badRequest(`missing required field "role_arn": role "${roleName}" allows ${role.roleArns.length} role ARNs, so the request must name one`);
  }
  if (!role.roleArns.includes(requested)) throw badRequest(`invalid field "role_arn": "${requested}" is not one of the role_arns of role "${roleName}"`);
  return requested;
}

/** Combines the role's policies with those of its IAM groups, which STS calls take in place of group membership. */
async function stsPolicies(config: RootConfig, role: Role): Promise<{ document: string; arns: string[] }> {
  if (role.iamGroups.length === 0) return { document: role.policyDocument, arns: role.policyArns };
  const client = iamClient(config);
  try {
    const groups = await groupPolicies(client, role.iamGroups);
    const documents = role.policyDocument === '' ? groups.documents : [role.policyDocument, ...groups.documents];
    return { document: combinePolicyDocuments(documents), arns: [...new Set([...role.policyArns, ...groups.arns])] };
  } finally {
    client.destroy();
  }
}

/** Merges the statements of several policy documents into one, as Vault does for group policies. */
function combinePolicyDocuments(documents: string[]): string {
  if (documents.length === 0) return '';
  if (documents.length === 1) return documents[0];
  const statements: unknown[] = [];
  for (const document of documents) {
    const statement = (JSON.parse(document) as { Statement?: unknown }).Statement;
    if (Array.isArray(statement)) statements.push(...statement);
    else if (statement !== undefined) statements.push(statement);
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** Deletes an issued IAM user through the stored root credentials; a user already gone counts as deleted. */
export async function deleteUser(deps: Pick<CredsDeps, 'logger' | 'userLocks'>, storage: Storage, username: string): Promise<void> {
  const config = await readRoot(storage);
  if (config === null) throw badRequest('no root credentials configured: write config/root first');
  const client = iamClient(config);
  try {
    const deleted = await deps.userLocks.run(username, () => deleteIamUser(client, username));
    if (deleted) deps.logger.info({ username }, 'deleted aws iam user');
    else deps.logger.info({ username }, 'aws iam user to delete was already gone');
  } finally {
    client.destroy();
  }
}

/**
 * Deletes the user of a write-ahead record left by an unfinished issue,
 * unless the issue completed while this waited for the user's lock.
 */
export async function rollBackUser(deps: Pick<CredsDeps, 'logger' | 'userLocks' | 'wal'>, storage: Storage, walId: string, username: string): Promise<void> {
  const config = await readRoot(storage);
  if (config === null) throw badRequest('no root credentials configured: write config/root first');
  const client = iamClient(config);
  try {
    await deps.userLocks.run(username, async () => {
      if ((await deps.wal.get(walId)) === null) {
        deps.logger.info({ walId, username }, 'aws iam user was issued meanwhile; not deleting it');
        return;
      }
      deps.logger.warn({ walId, username }, 'deleting an aws iam user whose credentials were never issued');
      await deleteIamUser(client, username);
    });
  } finally {
    client.destroy();
  }
}

/**
 * Returns the TTL and max TTL of IAM user leases in seconds: `config/lease`'s
 * values, else the mount's, and never more than the mount's max TTL.
 */
async function leaseLimits(system: SystemView, storage: Storage): Promise<{ ttl: number; maxTtl: number }> {
  const lease = await readLease(storage);
  const mountMax = system.maxLeaseTtl();
  const configMax = lease?.leaseMax || mountMax;
  const maxTtl = mountMax > 0 ? Math.min(configMax, mountMax) : configMax;
  const ttl = lease?.lease || system.defaultLeaseTtl();
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
