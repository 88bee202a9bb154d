/**
 * `login`: checks a role ID and, when the role binds one, a secret ID, and
 * returns the role's identity and token settings. The server issues the token.
 */
import { authFromSettings, badRequest, definePath, invalidCredentials, renewLogin, type Auth, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import { addressAllowed, checkCidrSubset } from './cidr.js';
import type { AppRoleContext } from './context.js';
import { findRoleByRoleId, readRole, type RoleEntry } from './roles.js';
import { MAX_HMAC_INPUT_BYTES, secretsEqual } from './salt.js';
import {
  deleteOrphanSecretId,
  destroySecretId,
  isExpired,
  readAccessor,
  readSecretId,
  secretIdHmac,
  writeSecretId,
  type SecretIdEntry,
} from './secret-ids.js';

/** Vault's text for an unknown role ID and for an unknown, used-up or expired secret ID alike. */
export const INVALID_CREDENTIALS = 'invalid role or secret ID';

const FIELDS = {
  role_id: { type: 'string', description: 'Role ID of the role.' },
  secret_id: { type: 'string', description: 'A secret ID of the role; required when the role binds secret IDs.' },
} as const;

export function pathLogin(context: AppRoleContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'login',
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const roleId = fields.get('role_id').trim();
        if (roleId === '') throw badRequest('missing role_id');

        const role = await findRoleByRoleId(request.storage, context.salt, roleId);
        if (role === null) throw invalidCredentials(INVALID_CREDENTIALS);

        if (!role.bindSecretId) {
          checkRoleAddress(role, request);
          return { auth: loginAuth(role, null) };
        }
        const secretId = await useSecretId(context, request, role, fields.get('secret_id').trim());
        return { auth: loginAuth(role, secretId) };
      },
    },
    helpSynopsis: 'Issue a token for a role ID and secret ID.',
    helpDescription: `
role_id is always required; secret_id is required when the role binds secret
IDs (the default). Each login spends one use of a secret ID with a use limit.
An unknown, used-up or expired secret ID gets "invalid role or secret ID".`,
  });
}

/**
 * Checks a secret ID and spends one of its uses, under the secret ID's
 * lock, so two logins cannot both spend the last use.
 * @throws CofferError (400) for a missing, unknown, expired or used-up
 *   secret ID, or a caller outside its or the role's CIDR blocks.
 */
async function useSecretId(context: AppRoleContext, request: Request, role: RoleEntry, secretId: string): Promise<SecretIdEntry> {
  if (secretId === '') throw badRequest('missing secret_id');
  if (Buffer.byteLength(secretId) > MAX_HMAC_INPUT_BYTES) throw invalidCredentials(INVALID_CREDENTIALS);
  const storage = request.storage;
  const hmac = secretIdHmac(role, secretId);

  return context.secretIdLocks.run(hmac, async () => {
    const entry = await readSecretId(storage, role, hmac);
    if (entry === null) throw invalidCredentials(INVALID_CREDENTIALS);

    // A secret ID without its accessor entry was half destroyed, so delete the rest.
    const accessorHmac = await readAccessor(storage, context.salt, role, entry.secretIdAccessor);
    if (accessorHmac === null) {
      await deleteOrphanSecretId(storage, role, hmac);
      throw invalidCredentials(INVALID_CREDENTIALS);
    }
    if (!secretsEqual(accessorHmac, hmac)) throw invalidCredentials(INVALID_CREDENTIALS);

    const now = context.now();
    if (isExpired(entry, now)) {
      await destroySecretId(storage, context.salt, role, hmac, entry.secretIdAccessor);
      throw invalidCredentials(INVALID_CREDENTIALS);
    }

    // The role's blocks may have narrowed since the secret ID was issued, and
    // the secret ID's token_bound_cidrs replace the role's on the token.
    checkCidrSubset('cidr_list', entry.cidrList, 'secret_id_bound_cidrs', role.secretIdBoundCidrs);
    checkCidrSubset('token_bound_cidrs', entry.tokenBoundCidrs, 'token_bound_cidrs', role.tokenBoundCidrs);
    if (entry.cidrList.length > 0 && !addressAllowed(request.remoteAddress, entry.cidrList)) {
      throw badRequest(`source address "${request.remoteAddress ?? ''}" unauthorized by CIDR restrictions on the secret ID`);
    }

    // Checked before the use is spent, so a caller outside the blocks cannot use up the secret ID.
    checkRoleAddress(role, request);
    await spendUse(context, request, role, hmac, entry, now);
    return entry;
  });
}

/** Rejects a caller outside the role's CIDR blocks, when the role has any. @throws CofferError (400) naming the address. */
function checkRoleAddress(role: RoleEntry, request: Request): void {
  if (role.secretIdBoundCidrs.length > 0 && !addressAllowed(request.remoteAddress, role.secretIdBoundCidrs)) {
    throw badRequest(`source address "${request.remoteAddress ?? ''}" unauthorized by CIDR restrictions on the role`);
  }
}

/** Spends one use of a limited secret ID; the last use destroys it. */
async function spendUse(context: AppRoleContext, request: Request, role: RoleEntry, hmac: string, entry: SecretIdEntry, now: number): Promise<void> {
  if (entry.secretIdNumUses === 0) return;
  if (entry.secretIdNumUses === 1) {
    await destroySecretId(request.storage, context.salt, role, hmac, entry.secretIdAccessor);
    return;
  }
  await writeSecretId(request.storage, role, hmac, {
    ...entry,
    secretIdNumUses: entry.secretIdNumUses - 1,
    lastUpdatedTime: new Date(now).toISOString(),
  });
}

/**
 * Builds the login's Auth as Vault's AppRole does: the alias is the role ID,
 * the metadata is the secret ID's plus `role_name`, and the secret ID's
 * `token_bound_cidrs` replace the role's when it has any.
 */
function loginAuth(role: RoleEntry, secretId: SecretIdEntry | null): Auth {
  const metadata = { ...(secretId?.metadata ?? {}), role_name: role.name };
  const tokenBoundCidrs = secretId !== null && secretId.tokenBoundCidrs.length > 0 ? secretId.tokenBoundCidrs : role.tokenBoundCidrs;
  return authFromSettings(
    { ...role, tokenBoundCidrs },
    {
      metadata,
      alias: { name: role.roleId, metadata: { ...metadata } },
      internalData: { role_name: role.name },
    },
  );
}

/**
 * Renews a token of a login: the role named in the login's internal data
 * must still exist with the same policies, and the renewal gets the role's
 * current token TTLs.
 *
 * NOTE: Vault's AppRole checks only that the role exists. The policy check
 * is the one Vault's userpass makes, so that a token never outlives a
 * change to its role's policies by renewing.
 * @throws CofferError (400) when the role was deleted or its policies changed.
 */
export async function renewRoleLogin(request: Request): Promise<Response> {
  const roleName = request.auth?.internalData.role_name;
  if (typeof roleName !== 'string' || roleName === '') throw badRequest('login has no role name, not renewing');
  const role = await readRole(request.storage, roleName);
  if (role === null) throw badRequest(`role "${roleName}" does not exist during renewal`);
  return renewLogin(request, role);
}
