/**
 * `creds/:name`: creates an account by applying a dynamic role's
 * creation LDIF and returns it under a lease. The `dynamic` secret type
 * renews a lease within the role's max TTL and revokes it by applying the
 * deletion LDIF rendered when the account was created, so revocation works
 * even after the role is deleted or changed.
 */
import {
  badRequest,
  CofferError,
  definePath,
  defineSecret,
  nameSegment,
  renderUsernameTemplate,
  secretResponse,
  type FieldMap,
  type PathDefinition,
  type Request,
  type SecretType,
  type Storage,
  type SystemView,
} from '@coffer/sdk';
import { applyRecords, describeFailures } from './apply.js';
import { withDirectory } from './directory.js';
import { directoryCall, requireConfig, type EngineDeps } from './deps.js';
import { parseLdif, type LdifRecord } from './ldif.js';
import { newPassword } from './password.js';
import { DEFAULT_USERNAME_TEMPLATE } from './path-roles.js';
import { readDynamicRole, type DynamicRole } from './store.js';
import { renderLdifTemplate, templateValues, type LdifTemplateValues } from './template.js';

/** The write-ahead log kind of an account whose creation has not finished. */
export const WAL_KIND_DYNAMIC = 'dynamic-account';

/** The data of a write-ahead record of kind {@link WAL_KIND_DYNAMIC}: the LDIF that removes the account again. */
export interface DynamicWalData {
  role: string;
  cleanupLdif: string;
}

export function dynamicSecret(deps: EngineDeps): SecretType<FieldMap> {
  return defineSecret({
    type: 'dynamic',
    fields: {
      username: { type: 'string', description: 'The generated account name.' },
      password: { type: 'string', description: 'The password of that account.' },
      distinguished_names: { type: 'comma_string_slice', description: 'DNs of the entries creation_ldif created or changed.' },
    },
    renew: async (request) => {
      const internal = request.secret!.internalData;
      const limits = await leaseLimits(deps.system, request.storage, String(internal.role ?? ''));
      const ttl = renewalTtl(request, limits.ttl, limits.maxTtl);
      return { secret: { ttl, maxTtl: limits.maxTtl, renewable: true, internalData: internal } };
    },
    revoke: async (request) => {
      const deletionLdif = request.secret!.internalData.deletion_ldif;
      if (typeof deletionLdif !== 'string' || deletionLdif === '') throw new CofferError('COFFER_ERR_INTERNAL', 500, 'secret is missing deletion_ldif internal data');
      await applyCleanup(request.storage, 'deletion_ldif', deletionLdif);
      return null;
    },
  });
}

export function pathCreds(deps: EngineDeps, secret: SecretType<FieldMap>): PathDefinition<FieldMap> {
  return definePath({
    pattern: `creds/${nameSegment('name')}`,
    fields: { name: { type: 'string', description: 'Name of the dynamic role.', required: true } },
    operations: {
      read: async (request, fields) => issueCredentials(deps, secret, request, fields.get('name')),
    },
    helpSynopsis: 'Create an account for a dynamic role.',
    helpDescription: `
Generates a username and password, applies the role's creation_ldif, and
returns username, password and distinguished_names under a lease. Revoking
the lease applies deletion_ldif.`,
  });
}

async function issueCredentials(deps: EngineDeps, secret: SecretType<FieldMap>, request: Request, name: string) {
  const role = await readDynamicRole(request.storage, name);
  if (role === null) throw badRequest(`unknown dynamic role: ${name}`);
  const config = await requireConfig(request.storage);
  const limits = await leaseLimits(deps.system, request.storage, name);

  const username = generateUsername(role, request.displayName ?? '', name);
  const password = await newPassword(deps.system, config);
  const values = templateValues({ username, password, displayName: request.displayName ?? '', roleName: name }, new Date(), limits.ttl);
  const creation = renderRecords('creation_ldif', role.creationLdif, values);
  const deletionLdif = renderLdifTemplate(role.deletionLdif, values);
  const rollbackLdif = role.rollbackLdif.trim() === '' ? '' : renderLdifTemplate(role.rollbackLdif, values);

  // The record outlives a crash before the response, and the periodic pass then removes the account.
  const walId = await deps.wal.put(WAL_KIND_DYNAMIC, { role: name, cleanupLdif: rollbackLdif || deletionLdif } satisfies DynamicWalData);
  const failures = await directoryCall(() =>
    withDirectory(config, config.binddn, config.bindpass, (directory) => applyRecords(directory, creation, 'stop', [password]), [password]),
  );
  if (failures.length > 0) {
    await rollBack(deps, request.storage, name, rollbackLdif, password);
    await deps.wal.delete(walId);
    throw new CofferError('COFFER_ERR_LDAP', 500, `failed to create the account: ${describeFailures('creation_ldif', failures)}`);
  }

  const distinguishedNames = [...new Set(creation.map((record) => record.dn))];
  const response = secretResponse(
    secret,
    { username, password, distinguished_names: distinguishedNames },
    { role: name, username, deletion_ldif: deletionLdif },
    { ttl: limits.ttl, maxTtl: limits.maxTtl },
  );
  await deps.wal.delete(walId);
  return response;
}

/** Applies the rendered rollback LDIF after a failed creation; its own failures are logged, not returned. */
async function rollBack(deps: EngineDeps, storage: Storage, role: string, rollbackLdif: string, password: string): Promise<void> {
  if (rollbackLdif === '') {
    deps.logger.warn({ role }, 'ldap account creation failed and the role has no rollback_ldif');
    return;
  }
  try {
    await applyCleanup(storage, 'rollback_ldif', rollbackLdif, [password]);
    deps.logger.info({ role }, 'ldap account creation failed and was rolled back');
  } catch (err) {
    deps.logger.error({ err: (err as Error).message, role }, 'ldap rollback_ldif failed');
  }
}

/**
 * Applies a rendered deletion or rollback LDIF, going on past failed records.
 * @throws CofferError (500) listing the records that failed.
 */
export async function applyCleanup(storage: Storage, field: string, ldif: string, secrets: string[] = []): Promise<void> {
  const config = await requireConfig(storage);
  const records = parseLdif(ldif);
  const failures = await directoryCall(() => withDirectory(config, config.binddn, config.bindpass, (directory) => applyRecords(directory, records, 'continue', secrets), secrets));
  if (failures.length > 0) throw new CofferError('COFFER_ERR_LDAP', 500, `failed to apply ${field}: ${describeFailures(field, failures)}`);
}

/**
 * Renders and parses an LDIF template with a lease's values.
 * @throws CofferError (500) when the rendered LDIF does not parse, which the check at role write makes rare.
 */
function renderRecords(field: string, template: string, values: LdifTemplateValues): LdifRecord[] {
  try {
    return parseLdif(renderLdifTemplate(template, values));
  } catch (err) {
    throw new CofferError('COFFER_ERR_INTERNAL', 500, `failed to render ${field}: ${(err as Error).message}`);
  }
}

/** @throws CofferError (500) when the template fails or yields an empty name. */
function generateUsername(role: DynamicRole, displayName: string, roleName: string): string {
  let username: string;
  try {
    username = renderUsernameTemplate(role.usernameTemplate || DEFAULT_USERNAME_TEMPLATE, { displayName, roleName });
  } catch (err) {
    throw new CofferError('COFFER_ERR_INTERNAL', 500, `failed to generate username: ${(err as Error).message}`);
  }
  if (username.trim() === '') throw new CofferError('COFFER_ERR_INTERNAL', 500, 'failed to generate username: username_template produced an empty name');
  return username;
}

/**
 * Returns the TTL and max TTL of new leases in seconds: the role's values,
 * else the mount's, never more than the mount's max TTL.
 */
async function leaseLimits(system: SystemView, storage: Storage, roleName: string): Promise<{ ttl: number; maxTtl: number }> {
  const role = roleName === '' ? null : await readDynamicRole(storage, roleName);
  const mountMax = system.maxLeaseTtl();
  const configMax = role?.maxTtl || mountMax;
  const maxTtl = mountMax > 0 ? Math.min(configMax, mountMax) : configMax;
  const ttl = role?.defaultTtl || system.defaultLeaseTtl();
  return { ttl: maxTtl > 0 ? Math.min(ttl, maxTtl) : ttl, maxTtl };
}

/**
 * Computes the TTL of a renewal: the requested increment, else the default,
 * cut so the lease ends no later than its max TTL after issue.
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
