/**
 * The result of a successful login to an auth method, and the token
 * settings every auth method shares.
 */
import { isIP } from 'node:net';
import { badRequest } from './errors.js';
import type { FieldData } from './framework/field-data.js';
import type { FieldMap } from './framework/field.js';
import type { Request, Response } from './logical.js';

/** The identity a login proves; the server turns it into an entity alias. */
export interface AuthAlias {
  /** Name unique within the auth mount, e.g. the user name or role ID. */
  name: string;
  metadata?: Record<string, string>;
}

/**
 * A successful login. The server issues the token, so a backend never
 * receives or chooses the token ID.
 */
export interface Auth {
  /** Policies from the method's configuration; `default` is added unless `noDefaultPolicy`. */
  policies: string[];
  /** Written to the token's metadata and the audit log; never put secrets here. */
  metadata?: Record<string, string>;
  /** Name for lookups and the audit log; the server prefixes the mount path. */
  displayName?: string;
  /** Seconds; 0 means the mount's default. */
  ttl?: number;
  /** Seconds; 0 means the mount's max. */
  maxTtl?: number;
  explicitMaxTtl?: number;
  period?: number;
  /** Uses before the token is revoked; 0 is unlimited. */
  numUses?: number;
  renewable?: boolean;
  boundCidrs?: string[];
  /** `service`, `batch` or `default` (the mount's choice, service unless tuned). */
  tokenType?: 'service' | 'batch' | 'default' | 'default-service' | 'default-batch';
  noDefaultPolicy?: boolean;
  alias?: AuthAlias;
  /** Names of groups in an external system, for external identity groups. */
  groupAliases?: AuthAlias[];
  /** Data the backend needs to renew the login later; never returned to the client. */
  internalData?: Record<string, unknown>;
}

/**
 * The `token_*` fields Vault's auth methods share (its tokenutil), to spread
 * into a role's or user's field declarations.
 */
export const TOKEN_FIELDS = {
  token_ttl: { type: 'duration', description: 'Initial TTL of issued tokens, e.g. "1h".' },
  token_max_ttl: { type: 'duration', description: 'Maximum lifetime of issued tokens, renewals included.' },
  token_explicit_max_ttl: { type: 'duration', description: 'Hard lifetime limit that overrides the mount and system max TTL.' },
  token_period: { type: 'duration', description: 'Make issued tokens periodic with this period.' },
  token_policies: { type: 'comma_string_slice', description: 'Policies of issued tokens.' },
  policies: { type: 'comma_string_slice', description: 'Deprecated alias of "token_policies".' },
  token_bound_cidrs: { type: 'comma_string_slice', description: 'CIDR blocks issued tokens may be used from.' },
  token_no_default_policy: { type: 'bool', description: 'Leave the default policy out of issued tokens.' },
  token_num_uses: { type: 'int', description: 'Use limit of issued tokens; 0 is unlimited.' },
  token_type: { type: 'string', description: '"service", "batch", "default", "default-service" or "default-batch".', default: 'default' },
} as const;

/** Stored token settings of a role or user. */
export interface TokenSettings {
  tokenTtl: number;
  tokenMaxTtl: number;
  tokenExplicitMaxTtl: number;
  tokenPeriod: number;
  tokenPolicies: string[];
  tokenBoundCidrs: string[];
  tokenNoDefaultPolicy: boolean;
  tokenNumUses: number;
  tokenType: string;
}

const TOKEN_TYPES = ['service', 'batch', 'default', 'default-service', 'default-batch'];

/**
 * Reads the `token_*` fields of a request over `existing` settings, so an
 * update changes only the fields it sets.
 * @throws Error with a message naming the field, for a caller to wrap as 400.
 */
export function readTokenSettings(fields: FieldData<FieldMap>, existing?: TokenSettings): TokenSettings {
  const pick = <T>(name: string, current: T | undefined, fallback: T): T =>
    fields.has(name) ? (fields.get(name) as T) : (current ?? fallback);

  const settings: TokenSettings = {
    tokenTtl: pick('token_ttl', existing?.tokenTtl, 0),
    tokenMaxTtl: pick('token_max_ttl', existing?.tokenMaxTtl, 0),
    tokenExplicitMaxTtl: pick('token_explicit_max_ttl', existing?.tokenExplicitMaxTtl, 0),
    tokenPeriod: pick('token_period', existing?.tokenPeriod, 0),
    tokenPolicies: fields.has('token_policies')
      ? (fields.get('token_policies') as string[])
      : fields.has('policies')
        ? (fields.get('policies') as string[])
        : (existing?.tokenPolicies ?? []),
    tokenBoundCidrs: pick('token_bound_cidrs', existing?.tokenBoundCidrs, []),
    tokenNoDefaultPolicy: pick('token_no_default_policy', existing?.tokenNoDefaultPolicy, false),
    tokenNumUses: pick('token_num_uses', existing?.tokenNumUses, 0),
    tokenType: pick('token_type', existing?.tokenType, 'default'),
  };
  checkTokenSettings(settings);
  return settings;
}

/**
 * Checks settings as a whole, for a method that also changes them one field
 * at a time (such as AppRole's `role/:role_name/token-num-uses`), so that no
 * path can store a combination a full write would reject.
 * @throws Error with a message naming the field, for a caller to wrap as 400.
 */
export function checkTokenSettings(settings: TokenSettings): void {
  if (!TOKEN_TYPES.includes(settings.tokenType)) {
    throw new Error(`invalid "token_type" "${settings.tokenType}": must be one of ${TOKEN_TYPES.join(', ')}`);
  }
  if (settings.tokenNumUses < 0) throw new Error(`invalid "token_num_uses" ${settings.tokenNumUses}: it cannot be negative`);
  // A batch token has no stored entry in which to count uses or renew it, so Vault rejects these settings on write.
  if (settings.tokenType === 'batch' || settings.tokenType === 'default-batch') {
    const invalidType = `invalid "token_type" "${settings.tokenType}"`;
    if (settings.tokenNumUses !== 0) throw new Error(`${invalidType}: batch tokens cannot have a use limit, set "token_num_uses" to 0 or "token_type" to "service"`);
    if (settings.tokenPeriod !== 0) throw new Error(`${invalidType}: batch tokens cannot be periodic, set "token_period" to 0 or "token_type" to "service"`);
  }
  if (settings.tokenMaxTtl > 0 && settings.tokenTtl > settings.tokenMaxTtl) {
    throw new Error(`invalid "token_ttl" ${settings.tokenTtl}: it must not exceed "token_max_ttl" ${settings.tokenMaxTtl}`);
  }
  for (const cidr of settings.tokenBoundCidrs) {
    if (!isAddressOrCidr(cidr)) throw new Error(`invalid "token_bound_cidrs" entry "${cidr}": expected an IP address or a CIDR block such as "10.0.0.0/8"`);
  }
}

/**
 * Returns true for an IP address, or a CIDR block whose prefix fits its
 * address family. Auth methods check a caller's address with node:net's
 * BlockList, which throws on any other entry, so such entries are rejected
 * when written rather than failing every login.
 */
function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32);
}

/** Formats the settings as Vault's read endpoints report them. */
export function describeTokenSettings(settings: TokenSettings): Record<string, unknown> {
  return {
    token_ttl: settings.tokenTtl,
    token_max_ttl: settings.tokenMaxTtl,
    token_explicit_max_ttl: settings.tokenExplicitMaxTtl,
    token_period: settings.tokenPeriod,
    token_policies: settings.tokenPolicies,
    policies: settings.tokenPolicies,
    token_bound_cidrs: settings.tokenBoundCidrs,
    token_no_default_policy: settings.tokenNoDefaultPolicy,
    token_num_uses: settings.tokenNumUses,
    token_type: settings.tokenType,
  };
}

/** Copies token settings into the `Auth` of a login. */
export function authFromSettings(settings: TokenSettings, auth: Omit<Auth, 'policies'> & { policies?: string[] }): Auth {
  return {
    ...auth,
    policies: [...settings.tokenPolicies, ...(auth.policies ?? [])],
    ttl: settings.tokenTtl,
    maxTtl: settings.tokenMaxTtl,
    explicitMaxTtl: settings.tokenExplicitMaxTtl,
    period: settings.tokenPeriod,
    numUses: settings.tokenNumUses,
    boundCidrs: settings.tokenBoundCidrs,
    noDefaultPolicy: settings.tokenNoDefaultPolicy,
    tokenType: settings.tokenType as Auth['tokenType'],
    renewable: auth.renewable ?? true,
  };
}

/**
 * Builds the renewal response for a token issued from `settings` (a user's or role's
 * stored token settings), as Vault's built-in methods do: the login's
 * policies must equal `policies`, ignoring `default`, and the renewal gets
 * the settings' current TTL, max TTL and period.
 * @throws CofferError (400) when the request carries no login or the
 *   policies changed since login, so the token is not renewed.
 */
export function renewLogin(request: Request, settings: TokenSettings, policies: readonly string[] = settings.tokenPolicies): Response {
  const login = request.auth;
  if (login === undefined) throw badRequest('request has no login to renew');
  if (!equivalentPolicies(login.policies, policies)) throw badRequest('policies have changed, not renewing');
  return {
    auth: {
      policies: login.policies,
      ttl: settings.tokenTtl,
      maxTtl: settings.tokenMaxTtl,
      period: settings.tokenPeriod,
    },
  };
}

/** Compares two policy lists as sets, leaving out `default`, which every token may carry. */
export function equivalentPolicies(left: readonly string[], right: readonly string[]): boolean {
  const normalize = (list: readonly string[]): string[] =>
    [...new Set(list.map((name) => name.trim().toLowerCase()).filter((name) => name !== '' && name !== 'default'))].sort();
  const a = normalize(left);
  const b = normalize(right);
  return a.length === b.length && a.every((name, index) => name === b[index]);
}
