/**
 * `login`: checks a signed JWT against a `jwt` role and returns the
 * identity and token settings of the login. The server issues the token.
 */
import { badRequest, definePath, permissionDenied, renewLogin, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import { addressAllowed } from './cidr.js';
import { ClaimError } from './claims.js';
import { keySourceKind, readConfig, type ConfigEntry } from './config.js';
import type { JwtContext } from './context.js';
import { loginAuth } from './identity.js';
import { readRole, type RoleEntry } from './roles.js';
import { validateToken } from './validate.js';

const FIELDS = {
  role: { type: 'lowercase_string', description: 'Role to log in with; the configured default_role when empty.' },
  jwt: { type: 'string', description: 'The signed JSON Web Token.' },
} as const;

export function pathLogin(context: JwtContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'login',
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const config = await requireConfig(request);
        const { name, role } = await requireRole(request, config, fields.get('role'));
        if (role.roleType === 'oidc') throw badRequest('role with oidc role_type is not allowed');
        const token = fields.get('jwt').trim();
        if (token === '') throw badRequest('missing token');
        checkAddress(request, role);

        // As in Vault, a token with `aud` needs bound audiences unless its keys come from OIDC discovery.
        const strict = keySourceKind(config) !== 'discovery';
        const claims = await validateToken(context, config, role, token, { audiences: role.boundAudiences, strict });
        return { auth: authOrReject(name, role, claims) };
      },
    },
    helpSynopsis: 'Log in with a signed JWT.',
    helpDescription: `
Verifies the token's signature with the configured keys, then its iss, sub,
aud, exp, nbf and iat claims and the role's bound claims, and returns a token
with the role's policies. The alias name is the value of the role's
user_claim.`,
  });
}

/** @throws CofferError (400) when the mount has no configuration yet. */
export async function requireConfig(request: Request): Promise<ConfigEntry> {
  const config = await readConfig(request.storage);
  if (config === null) throw badRequest('could not load configuration');
  return config;
}

/**
 * Returns the named role, or the default role when `name` is empty.
 * @throws CofferError (400) when no role is named or it does not exist.
 */
export async function requireRole(request: Request, config: ConfigEntry, name: string): Promise<{ name: string; role: RoleEntry }> {
  const roleName = name.trim() === '' ? config.defaultRole : name.trim();
  if (roleName === '') throw badRequest('missing role');
  const role = await readRole(request.storage, roleName);
  if (role === null) throw badRequest(`role "${roleName}" could not be found`);
  return { name: roleName, role };
}

/** Rejects a caller outside the role's token_bound_cidrs. @throws CofferError (403). */
export function checkAddress(request: Request, role: RoleEntry): void {
  if (role.tokenBoundCidrs.length > 0 && !addressAllowed(request.remoteAddress, role.tokenBoundCidrs)) throw permissionDenied();
}

/** Builds the Auth, turning a claim problem into a 400. */
export function authOrReject(...args: Parameters<typeof loginAuth>): ReturnType<typeof loginAuth> {
  try {
    return loginAuth(...args);
  } catch (err) {
    if (err instanceof ClaimError) throw badRequest(err.message);
    throw err;
  }
}

/**
 * Renews a token of a login: the role must still exist with the policies
 * the token was issued with, and the renewal gets the role's current TTLs.
 * @throws CofferError (400) when the role was deleted or its policies changed.
 */
export async function renewJwtLogin(request: Request): Promise<Response> {
  const roleName = request.auth?.internalData.role;
  if (typeof roleName !== 'string' || roleName === '') throw badRequest('failed to fetch role name during renewal');
  const role = await readRole(request.storage, roleName);
  if (role === null) throw badRequest(`role "${roleName}" does not exist during renewal`);
  return renewLogin(request, role);
}
