/**
 * The fields of `role/:name` and how a request's fields change a role.
 */
import {
  badRequest,
  describeTokenSettings,
  formatDuration,
  parseDurationSeconds,
  readTokenSettings,
  TOKEN_FIELDS,
  type FieldData,
  type SystemView,
  type TokenSettings,
} from '@coffer/sdk';
import type { RoleEntry } from './roles.js';

/** Leeway defaults of Vault's JWT method, in seconds, taken when a role stores 0. */
export const DEFAULT_CLOCK_SKEW_LEEWAY = 60;
export const DEFAULT_EXPIRATION_LEEWAY = 150;
export const DEFAULT_NOT_BEFORE_LEEWAY = 150;

/** Metadata keys the login sets itself, which claim_mappings may not target. */
const RESERVED_METADATA = ['role'];

const LEEWAY_HELP = 'Seconds or a duration such as "2m"; 0 takes the default and -1 turns the leeway off.';

// NOTE: Vault's callback_mode, poll_interval and the deprecated ttl,
// max_ttl, period, num_uses and bound_cidrs fields are not supported, so a
// request that sends one is rejected as an unknown field.
export const ROLE_FIELDS = {
  name: { type: 'lowercase_string', description: 'Name of the role. Names are case-insensitive and stored in lowercase.', required: true },
  role_type: { type: 'string', description: '"oidc" (the default) for browser logins or "jwt" for logins with a token.' },
  bound_audiences: { type: 'comma_string_slice', description: 'The "aud" claim must contain one of these.' },
  user_claim: { type: 'string', description: 'Claim whose string value names the user. Required.' },
  user_claim_json_pointer: { type: 'bool', description: 'Read user_claim as a JSON pointer such as "/user/name".' },
  bound_subject: { type: 'string', description: 'Required value of the "sub" claim.' },
  bound_claims: { type: 'map', description: 'Claims (names or JSON pointers) and the value, or list of values, one of which each must have.' },
  bound_claims_type: { type: 'string', description: '"string" (the default) to compare bound_claims values exactly, "glob" to let "*" match any characters.' },
  claim_mappings: { type: 'kv_pairs', description: 'Claims (names or JSON pointers) copied to the given token metadata keys.' },
  groups_claim: { type: 'string', description: 'Claim whose list of strings names the external groups of the user.' },
  oidc_scopes: { type: 'comma_string_slice', description: 'Scopes requested besides "openid", for oidc roles.' },
  allowed_redirect_uris: { type: 'comma_string_slice', description: 'Redirect URIs accepted by oidc/auth_url. Required for oidc roles.' },
  verbose_oidc_logging: { type: 'bool', description: 'Log the claims of ID tokens at debug level. Not for production, because claims may be personal data.' },
  max_age: { type: 'duration', description: 'Maximum time since the user last authenticated at the provider, sent as "max_age".' },
  clock_skew_leeway: { type: 'string', description: `Leeway on every time claim. ${LEEWAY_HELP} The default is 60 seconds.` },
  expiration_leeway: { type: 'string', description: `Lifetime of a token without "exp" after its "iat" or "nbf". ${LEEWAY_HELP} The default is 150 seconds.` },
  not_before_leeway: { type: 'string', description: `Time before "exp" that a token without "nbf" or "iat" becomes valid. ${LEEWAY_HELP} The default is 150 seconds.` },
  ...TOKEN_FIELDS,
} as const;

export type RoleFields = FieldData<typeof ROLE_FIELDS>;

/**
 * Returns the role with the request's fields applied over `existing`, or
 * over the defaults for a new role, and the warnings for the response.
 * @throws CofferError (400) naming the first invalid field, and nothing is stored.
 */
export function applyRoleFields(existing: RoleEntry | null, fields: RoleFields, system: SystemView): { role: RoleEntry; warnings: string[] } {
  const warnings: string[] = [];
  const settings = parseTokenSettings(fields, existing ?? undefined);
  if (settings.tokenPeriod > system.maxLeaseTtl()) {
    throw badRequest(
      `invalid "token_period" ${settings.tokenPeriod}: it is greater than the backend's maximum lease TTL of "${formatDuration(system.maxLeaseTtl())}"`,
    );
  }
  if (settings.tokenMaxTtl > system.maxLeaseTtl()) {
    warnings.push("token max ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated");
  }

  const role: RoleEntry = { ...(existing ?? newRole(settings)), ...settings };
  role.roleType = parseRoleType(fields.getIfSet('role_type') ?? role.roleType);
  role.boundClaimsType = parseBoundClaimsType(fields.getIfSet('bound_claims_type') ?? role.boundClaimsType);
  role.boundAudiences = fields.getIfSet('bound_audiences') ?? role.boundAudiences;
  role.userClaim = (fields.getIfSet('user_claim') ?? role.userClaim).trim();
  role.userClaimJsonPointer = fields.getIfSet('user_claim_json_pointer') ?? role.userClaimJsonPointer;
  role.boundSubject = fields.getIfSet('bound_subject') ?? role.boundSubject;
  role.boundClaims = fields.getIfSet('bound_claims') ?? role.boundClaims;
  role.claimMappings = fields.getIfSet('claim_mappings') ?? role.claimMappings;
  role.groupsClaim = fields.getIfSet('groups_claim') ?? role.groupsClaim;
  role.oidcScopes = fields.getIfSet('oidc_scopes') ?? role.oidcScopes;
  role.allowedRedirectUris = fields.getIfSet('allowed_redirect_uris') ?? role.allowedRedirectUris;
  role.verboseOidcLogging = fields.getIfSet('verbose_oidc_logging') ?? role.verboseOidcLogging;
  role.maxAge = fields.getIfSet('max_age') ?? role.maxAge;
  role.clockSkewLeeway = parseLeeway('clock_skew_leeway', fields.getIfSet('clock_skew_leeway')) ?? role.clockSkewLeeway;
  role.expirationLeeway = parseLeeway('expiration_leeway', fields.getIfSet('expiration_leeway')) ?? role.expirationLeeway;
  role.notBeforeLeeway = parseLeeway('not_before_leeway', fields.getIfSet('not_before_leeway')) ?? role.notBeforeLeeway;

  checkRole(role);
  if (role.verboseOidcLogging) {
    warnings.push('verbose_oidc_logging has been enabled for this role; this is not recommended in production since ID token claims may contain personal data');
  }
  return { role, warnings };
}

/** Returns the role as the read endpoint reports it. */
export function describeRole(role: RoleEntry): Record<string, unknown> {
  return {
    role_type: role.roleType,
    bound_audiences: role.boundAudiences,
    user_claim: role.userClaim,
    user_claim_json_pointer: role.userClaimJsonPointer,
    bound_subject: role.boundSubject,
    bound_claims: Object.keys(role.boundClaims).length === 0 ? null : role.boundClaims,
    bound_claims_type: role.boundClaimsType,
    claim_mappings: Object.keys(role.claimMappings).length === 0 ? null : role.claimMappings,
    groups_claim: role.groupsClaim,
    oidc_scopes: role.oidcScopes,
    allowed_redirect_uris: role.allowedRedirectUris,
    verbose_oidc_logging: role.verboseOidcLogging,
    max_age: role.maxAge,
    clock_skew_leeway: role.clockSkewLeeway,
    expiration_leeway: role.expirationLeeway,
    not_before_leeway: role.notBeforeLeeway,
    ...describeTokenSettings(role),
  };
}

function newRole(settings: TokenSettings): RoleEntry {
  return {
    ...settings,
    roleType: 'oidc',
    boundAudiences: [],
    userClaim: '',
    userClaimJsonPointer: false,
    boundSubject: '',
    boundClaims: {},
    boundClaimsType: 'string',
    claimMappings: {},
    groupsClaim: '',
    oidcScopes: [],
    allowedRedirectUris: [],
    verboseOidcLogging: false,
    maxAge: 0,
    clockSkewLeeway: DEFAULT_CLOCK_SKEW_LEEWAY,
    expirationLeeway: DEFAULT_EXPIRATION_LEEWAY,
    notBeforeLeeway: DEFAULT_NOT_BEFORE_LEEWAY,
  };
}

/** Checks the role as a whole, after all fields applied. @throws CofferError (400) naming the field. */
function checkRole(role: RoleEntry): void {
  if (role.userClaim === '') throw badRequest('a user claim must be defined on the role: set "user_claim"');
  if (role.roleType === 'oidc' && role.allowedRedirectUris.length === 0) {
    throw badRequest('"allowed_redirect_uris" must be set if "role_type" is "oidc" or unspecified');
  }
  // An OIDC login checks the audience against the client ID, but a jwt role must bind something itself.
  const bound = role.boundAudiences.length > 0 || role.boundSubject !== '' || Object.keys(role.boundClaims).length > 0 || role.tokenBoundCidrs.length > 0;
  if (role.roleType === 'jwt' && !bound) {
    throw badRequest(
      'must have at least one bound constraint when creating/updating a role: set "bound_audiences", "bound_subject", "bound_claims" or "token_bound_cidrs"',
    );
  }
  checkBoundClaims(role.boundClaims, role.boundClaimsType);
  checkClaimMappings(role.claimMappings);
}

function checkBoundClaims(boundClaims: Record<string, unknown>, type: RoleEntry['boundClaimsType']): void {
  for (const [claim, value] of Object.entries(boundClaims)) {
    if (claim === '') throw badRequest('invalid "bound_claims": a claim name cannot be empty');
    const values = Array.isArray(value) ? value : [value];
    const scalarsOk = values.every((item) => typeof item === 'string' || typeof item === 'boolean' || (typeof item === 'number' && Number.isInteger(item)));
    if (!scalarsOk || (Array.isArray(value) && !value.every((item) => typeof item === 'string'))) {
      throw badRequest(`invalid "bound_claims" value of claim "${claim}": expected a string, an integer, a boolean or a list of strings`);
    }
    if (type === 'glob' && !values.every((item) => typeof item === 'string')) {
      throw badRequest(`invalid "bound_claims" value of claim "${claim}": with "bound_claims_type" "glob" every value must be a string`);
    }
  }
}

function checkClaimMappings(claimMappings: Record<string, string>): void {
  const targets = new Set<string>();
  for (const [claim, metadataKey] of Object.entries(claimMappings)) {
    if (claim === '' || metadataKey === '') throw badRequest('invalid "claim_mappings": claim names and metadata keys cannot be empty');
    if (RESERVED_METADATA.includes(metadataKey)) {
      throw badRequest(`invalid "claim_mappings": metadata key "${metadataKey}" is reserved and may not be a mapping destination`);
    }
    if (targets.has(metadataKey)) throw badRequest(`invalid "claim_mappings": multiple keys are mapped to metadata key "${metadataKey}"`);
    targets.add(metadataKey);
  }
}

function parseTokenSettings(fields: RoleFields, existing?: TokenSettings): TokenSettings {
  try {
    return readTokenSettings(fields, existing);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

function parseRoleType(value: string): RoleEntry['roleType'] {
  if (value === 'jwt' || value === 'oidc') return value;
  throw badRequest(`invalid "role_type" "${value}": must be "jwt" or "oidc"`);
}

function parseBoundClaimsType(value: string): RoleEntry['boundClaimsType'] {
  if (value === 'string' || value === 'glob') return value;
  throw badRequest(`invalid "bound_claims_type" "${value}": must be "string" or "glob"`);
}

/**
 * Parses a leeway: seconds, a duration, or a negative integer that turns it off (stored as -1).
 * @returns undefined when the field was not set.
 */
function parseLeeway(field: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^-\d+$/.test(text)) return -1;
  const seconds = parseDurationSeconds(text);
  if (seconds === null) {
    throw badRequest(`invalid "${field}" "${raw}": expected seconds or a duration such as "90s" or "2m", or -1 to turn the leeway off`);
  }
  return seconds;
}
