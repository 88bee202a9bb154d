/**
 * Turning a successful login into a token. Auth methods only prove who the
 * caller is. The token store decides the token's ID, TTL and policies, so a
 * plugin can never mint a token of its choosing.
 */
import { badRequest, type Auth } from '@coffer/sdk';
import { sanitizePolicies } from './path-create.js';
import { authBlock, issuedTokenResponse, type IssuedTokenResponse, type TokenEntry, type TokenType } from './token-entry.js';
import type { TokenStore } from './token-store.js';
import { creationTtl } from './token-ttl.js';

/** The entity a login maps to, from the identity store. */
export interface LoginIdentity {
  entityId: string;
  /** Policies from the entity and its groups, added to the token's own. */
  identityPolicies: string[];
}

export interface LoginContext {
  /** Mount path with its `auth/` prefix, e.g. `auth/userpass/`. */
  mountPath: string;
  mountAccessor: string;
  mountType: string;
  /** Request path below `/v1/`, e.g. `auth/userpass/login/alice`. */
  requestPath: string;
  /** The mount's `token_type` setting; empty for `default-service`. */
  mountTokenType: string;
  /** The mount's default and max lease TTL in seconds (tune, else the server's). */
  defaultTtl: number;
  maxTtl: number;
  tokens: TokenStore;
  /** Finds or creates the entity for the login's alias; `undefined` without identity. */
  resolveIdentity(auth: Auth): Promise<LoginIdentity | undefined>;
  onCreated(entry: TokenEntry): Promise<void>;
}

/**
 * Returns the type of a login's token, as Vault chooses it: a mount set to
 * `service` or `batch` decides, then a type the method requests, then
 * the method's default, then the mount's.
 */
function loginTokenType(auth: Auth, mountTokenType: string): TokenType {
  if (mountTokenType === 'service' || mountTokenType === 'batch') return mountTokenType;
  const requested = auth.tokenType ?? 'default';
  switch (requested) {
    case 'batch':
    case 'default-batch':
      return 'batch';
    case 'service':
    case 'default-service':
      return 'service';
    case 'default':
      return mountTokenType === 'default-batch' ? 'batch' : 'service';
    default:
      throw badRequest(`invalid token type "${auth.tokenType}" from the auth method`);
  }
}

/** Issues the token for a login and returns the response the client gets. */
export async function issueLoginToken(context: LoginContext, auth: Auth, data: Record<string, unknown> | null, warnings: string[]): Promise<IssuedTokenResponse> {
  const type = loginTokenType(auth, context.mountTokenType);
  const identity = await context.resolveIdentity(auth);
  const policies = sanitizePolicies(auth.policies, auth.noDefaultPolicy !== true);
  const maxTtl = auth.maxTtl !== undefined && auth.maxTtl > 0 ? Math.min(auth.maxTtl, context.maxTtl) : context.maxTtl;
  const ttl = creationTtl({
    requested: auth.ttl ?? 0,
    period: auth.period ?? 0,
    explicitMaxTtl: auth.explicitMaxTtl ?? 0,
    defaultTtl: Math.min(context.defaultTtl, maxTtl),
    maxTtl,
    isRoot: false,
  });
  if (policies.includes('root')) throw badRequest('auth methods cannot issue root tokens');

  const now = Date.now();
  const mountName = context.mountPath.slice('auth/'.length).replace(/\/$/, '').replace(/\//g, '-');
  const created = await context.tokens.create({
    parent: '',
    policies,
    path: context.requestPath,
    meta: auth.metadata !== undefined && Object.keys(auth.metadata).length > 0 ? auth.metadata : null,
    displayName: auth.displayName !== undefined && auth.displayName !== '' ? `${mountName}-${auth.displayName}` : mountName,
    numUses: auth.numUses ?? 0,
    creationTime: Math.floor(now / 1000),
    creationTtl: ttl.ttl,
    expireTime: ttl.ttl === 0 ? 0 : now + ttl.ttl * 1000,
    lastRenewalTime: 0,
    explicitMaxTtl: auth.explicitMaxTtl ?? 0,
    period: auth.period ?? 0,
    renewable: (auth.renewable ?? true) && type === 'service',
    type,
    role: '',
    entityId: identity?.entityId ?? '',
    boundCidrs: auth.boundCidrs ?? [],
    ...(type === 'service' && auth.internalData !== undefined && Object.keys(auth.internalData).length > 0
      ? { internalData: auth.internalData }
      : {}),
  });
  await context.onCreated(created.entry);

  const block = authBlock(created.token, created.entry, now);
  const identityPolicies = identity?.identityPolicies ?? [];
  if (identityPolicies.length > 0) {
    block.identity_policies = identityPolicies;
    block.policies = [...new Set([...policies, ...identityPolicies])].sort();
  }
  return issuedTokenResponse(block, [...warnings, ...ttl.warnings], data);
}
