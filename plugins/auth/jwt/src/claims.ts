/**
 * Checks of a verified token's claims against the configuration and role:
 * the registered claims of RFC 7519 (iss, sub, aud, exp, nbf, iat) and the
 * role's bound claims. Each failure is a ClaimError whose message is the
 * API's error text, worded as Vault's JWT method words it.
 */
import { globMatches } from '@coffer/sdk';
import { DEFAULT_CLOCK_SKEW_LEEWAY, DEFAULT_EXPIRATION_LEEWAY, DEFAULT_NOT_BEFORE_LEEWAY } from './role-fields.js';
import type { RoleEntry } from './roles.js';

/** A token's claims were not accepted; the message is the API's error text. */
export class ClaimError extends Error {}

export type Claims = Record<string, unknown>;

/** The values the registered claims must match. */
export interface ExpectedClaims {
  /** Required `iss`; empty skips the check. */
  issuer: string;
  /** Required `sub`; empty skips the check. */
  subject: string;
  /** `aud` must contain one of these; empty skips the check. */
  audiences: string[];
  /** Reject any `aud` when `audiences` is empty, as jwt roles do. */
  strictAudience: boolean;
  /** Current time in seconds since the epoch. */
  now: number;
}

/**
 * Returns the claim, reading `name` as a JSON pointer (RFC 6901) when
 * `pointer` is true, or undefined when it is absent.
 */
export function getClaim(claims: Claims, name: string, pointer: boolean): unknown {
  if (!pointer) return Object.hasOwn(claims, name) ? claims[name] : undefined;
  let current: unknown = claims;
  for (const raw of name.split('/').slice(1)) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current) && /^(0|[1-9]\d*)$/.test(token)) current = current[Number(token)];
    else if (typeof current === 'object' && current !== null && !Array.isArray(current) && Object.hasOwn(current, token)) {
      current = (current as Claims)[token];
    } else return undefined;
  }
  return current;
}

/**
 * Checks iss, sub, aud and the time claims, with the role's leeways.
 * @throws ClaimError naming the claim that failed.
 */
export function checkRegisteredClaims(claims: Claims, expected: ExpectedClaims, role: RoleEntry): void {
  const audiences = audienceList(claims.aud);
  if (expected.strictAudience && expected.audiences.length === 0 && audiences.length > 0) {
    throw new ClaimError('audience claim found in JWT but no audiences bound to the role');
  }
  if (expected.issuer !== '' && claims.iss !== expected.issuer) throw new ClaimError('error validating token: invalid issuer (iss) claim');
  if (expected.subject !== '' && claims.sub !== expected.subject) throw new ClaimError('error validating token: invalid subject (sub) claim');
  if (expected.audiences.length > 0 && !expected.audiences.some((audience) => audiences.includes(audience))) {
    throw new ClaimError('error validating token: invalid audience (aud) claim: audience claim does not match any expected audience');
  }
  checkTimes(claims, expected.now, role);
}

/**
 * Checks exp, nbf and iat as Vault does. A token needs at least one of
 * them. A missing exp is the later of iat and nbf plus the expiration
 * leeway. A missing nbf is iat, or else exp minus the not-before leeway.
 * The clock skew leeway then widens every comparison.
 */
function checkTimes(claims: Claims, now: number, role: RoleEntry): void {
  const iat = numericDate(claims, 'iat');
  let exp = numericDate(claims, 'exp');
  let nbf = numericDate(claims, 'nbf');
  if (iat === 0 && exp === 0 && nbf === 0) {
    throw new ClaimError('error validating token: no issued at (iat), not before (nbf), or expiration time (exp) claims in token');
  }
  if (exp === 0) exp = Math.max(iat, nbf) + leeway(role.expirationLeeway, DEFAULT_EXPIRATION_LEEWAY);
  if (nbf === 0) nbf = iat !== 0 ? iat : exp - leeway(role.notBeforeLeeway, DEFAULT_NOT_BEFORE_LEEWAY);

  const skew = leeway(role.clockSkewLeeway, DEFAULT_CLOCK_SKEW_LEEWAY);
  if (now + skew < nbf) throw new ClaimError('error validating token: invalid not before (nbf) claim: token not yet valid');
  if (now - skew > exp) throw new ClaimError('error validating token: invalid expiration time (exp) claim: token is expired');
  if (iat !== 0 && now + skew < iat) throw new ClaimError('error validating token: invalid issued at (iat) claim: token issued in the future');
}

/** Returns the leeway in seconds: the default for 0, none for a negative value. */
function leeway(seconds: number, fallback: number): number {
  if (seconds < 0) return 0;
  return seconds === 0 ? fallback : seconds;
}

/** Returns a NumericDate claim in seconds, 0 when absent. @throws ClaimError when it is not a number. */
function numericDate(claims: Claims, name: string): number {
  const value = claims[name];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ClaimError(`error validating token: error parsing token: claim "${name}" is not a number`);
  return Math.trunc(value);
}

/** Returns the `aud` claim as a list; RFC 7519 allows one string or a list of strings. */
export function audienceList(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((item): item is string => typeof item === 'string');
  return [];
}

/**
 * Checks the role's bound claims: each claim must have, or contain, one of
 * the values bound to it. Names starting with "/" are JSON pointers.
 * @throws ClaimError naming the claim.
 */
export function checkBoundClaims(claims: Claims, role: RoleEntry): void {
  for (const [name, bound] of Object.entries(role.boundClaims)) {
    const actual = getClaim(claims, name, name.startsWith('/'));
    if (actual === undefined || actual === null) throw new ClaimError(`error validating claims: claim "${name}" is missing`);
    const actualValues = Array.isArray(actual) ? actual : [actual];
    if (!actualValues.every(isScalar)) throw new ClaimError(`error validating claims: received claim "${name}" is not a string or list`);
    const boundValues = Array.isArray(bound) ? bound : [bound];

    const found = boundValues.some((expected) =>
      actualValues.some((value) => {
        if (role.boundClaimsType === 'glob') return typeof value === 'string' && globMatches(String(expected), value);
        return value === expected;
      }),
    );
    if (!found) throw new ClaimError(`error validating claims: claim "${name}" does not match any associated bound claim values`);
  }
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
