/**
 * Validation of a token for a role: signature with the configured keys and
 * allowed algorithms, then the registered claims and the role's bound
 * claims. Login and the OIDC callback share it.
 */
import { badRequest } from '@coffer/sdk';
import { checkBoundClaims, checkRegisteredClaims, ClaimError, type Claims } from './claims.js';
import { keySourceKind, type ConfigEntry } from './config.js';
import type { JwtContext } from './context.js';
import { SignatureError, SUPPORTED_ALGORITHMS } from './keys.js';
import type { RoleEntry } from './roles.js';

/** Audience rules of one kind of login. */
export interface AudienceRule {
  /** `aud` must contain one of these; empty skips the check. */
  audiences: string[];
  /** Reject any `aud` when `audiences` is empty. */
  strict: boolean;
}

/**
 * Returns the algorithms a token may use: the configured ones, or else all
 * supported ones for jwt roles and RS256 for oidc roles, as Vault defaults.
 */
export function allowedAlgorithms(config: ConfigEntry, role: RoleEntry): readonly string[] {
  if (config.jwtSupportedAlgs.length > 0) return config.jwtSupportedAlgs;
  return role.roleType === 'oidc' ? ['RS256'] : SUPPORTED_ALGORITHMS;
}

/**
 * Verifies the token and checks its claims for the role.
 * @throws CofferError (400) with the reason the token was rejected.
 */
export async function validateToken(context: JwtContext, config: ConfigEntry, role: RoleEntry, token: string, audience: AudienceRule): Promise<Claims> {
  let payload: Uint8Array;
  try {
    payload = (await context.keys.verify(config, token, allowedAlgorithms(config, role))).payload;
  } catch (err) {
    if (err instanceof SignatureError) throw badRequest(`error validating token: ${err.message}`);
    context.logger.warn({ err, keySource: keySourceKind(config) }, 'key set fetch failed');
    throw badRequest(`error fetching jwks keyset: ${(err as Error).message}`);
  }
  const claims = parsePayload(payload);

  try {
    checkRegisteredClaims(claims, { ...expectedIssuerAndSubject(config, role), ...rule(audience), now: Math.floor(context.now() / 1000) }, role);
    checkBoundClaims(claims, role);
  } catch (err) {
    if (err instanceof ClaimError) throw badRequest(err.message);
    throw err;
  }
  return claims;
}

function rule(audience: AudienceRule): { audiences: string[]; strictAudience: boolean } {
  return { audiences: audience.audiences, strictAudience: audience.strict };
}

/** The `iss` a token must carry: bound_issuer, or else the discovery URL, which OIDC requires to be the issuer. */
function expectedIssuerAndSubject(config: ConfigEntry, role: RoleEntry): { issuer: string; subject: string } {
  const issuer = config.boundIssuer !== '' ? config.boundIssuer : config.oidcDiscoveryUrl;
  return { issuer, subject: role.boundSubject };
}

function parsePayload(payload: Uint8Array): Claims {
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw badRequest('error validating token: error parsing token: the payload is not JSON');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw badRequest('error validating token: error parsing token: the payload is not a JSON object');
  }
  return claims as Claims;
}
