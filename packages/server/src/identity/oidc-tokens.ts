/**
 * Issuing and introspecting identity tokens: signed JWTs that describe the
 * calling token's entity, with the claims Vault's identity tokens carry.
 */
import { badRequest, type Logger } from '@coffer/sdk';
import type { IdentityIndex } from './indexes.js';
import type { Entity } from './model.js';
import { allowsClient, isPublished, signJwt, verifyJws, type PublicJwk } from './oidc-keys.js';
import type { OidcRole, OidcStore } from './oidc-store.js';
import { RESERVED_CLAIMS, renderClaims } from './oidc-template.js';
import { groupMembership } from './resolve.js';

/** Vault reports the root namespace; Coffer has no other. */
const NAMESPACE = 'root';

/** Returns the public keys of every named key that are still within their verification window. */
export function publishedKeys(store: OidcStore, now = Date.now()): PublicJwk[] {
  return store.allKeys().flatMap((key) => key.keyRing.filter((ring) => isPublished(ring, now)).map((ring) => ring.jwk));
}

export interface IssuedToken {
  token: string;
  /** Seconds the token is valid for. */
  ttl: number;
  warnings: string[];
}

/**
 * Signs a token for `entity` with the role's key.
 * @throws CofferError (400) when the key does not allow the role's client ID.
 */
export function issueToken(store: OidcStore, index: IdentityIndex, role: OidcRole, entity: Entity): IssuedToken {
  const key = store.key(role.key);
  if (key === undefined) throw badRequest(`key "${role.key}" not found`);
  if (!allowsClient(key, role.clientId)) {
    throw badRequest(`the key "${role.key}" does not list the client ID of the role "${role.name}" as an allowed client ID`);
  }

  // A token must not outlive the public key that verifies it.
  const warnings: string[] = [];
  let ttl = role.ttl;
  if (ttl > key.verificationTtl) {
    ttl = key.verificationTtl;
    warnings.push(`a role's token ttl cannot be longer than the verification_ttl of the key it references, setting token ttl to ${ttl}`);
  }

  const now = Math.floor(Date.now() / 1000);
  const { direct, inherited } = groupMembership(index, entity.id);
  // Without a prototype, a claim named __proto__ is an ordinary member rather than a prototype to replace.
  const claims: Record<string, unknown> = Object.create(null);
  try {
    const templated = renderClaims(role.template, { entity, groups: [...direct, ...inherited], now });
    for (const [name, value] of Object.entries(templated)) {
      if (!RESERVED_CLAIMS.includes(name)) claims[name] = value;
    }
  } catch (err) {
    // The template was checked when the role was written, so this is unexpected; Vault issues the base claims then.
    store.logger.warn({ err, role: role.name }, 'rendering the identity token template failed; issuing the token without its claims');
  }
  Object.assign(claims, { iss: store.issuer, sub: entity.id, aud: role.clientId, iat: now, exp: now + ttl, namespace: NAMESPACE });
  return { token: signJwt(key, claims), ttl: role.ttl, warnings };
}

/** The result of an introspection, in the shape of Vault's response body. */
export type Introspection = { active: true } | { active: false; error: string };

function inactive(error: string): Introspection {
  return { active: false, error };
}

interface ParsedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signingInput: Buffer;
  signature: Buffer;
}

function parseJwt(token: string): ParsedJwt | string {
  const parts = token.split('.');
  if (parts.length !== 3) return 'compact JWS format must have three parts';
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null) return 'header and payload must be JSON objects';
    return {
      header: header as Record<string, unknown>,
      claims: claims as Record<string, unknown>,
      signingInput: Buffer.from(`${parts[0]}.${parts[1]}`),
      signature: Buffer.from(parts[2], 'base64url'),
    };
  } catch {
    return 'header and payload must be base64url-encoded JSON';
  }
}

function findVerifyingKey(keys: PublicJwk[], jwt: ParsedJwt): PublicJwk | undefined {
  // The published key's algorithm decides, never the token's header alone, so no token can pick a weaker check.
  return keys.find((jwk) => jwk.kid === jwt.header.kid && jwk.alg === jwt.header.alg && verifyJws(jwk, jwt.signingInput, jwt.signature));
}

function claimsProblem(claims: Record<string, unknown>, issuer: string, clientId: string, now: number): string | undefined {
  if (claims.iss !== issuer) return 'invalid issuer claim (iss)';
  if (clientId !== '') {
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audience.includes(clientId)) return 'invalid audience claim (aud)';
  }
  if (typeof claims.exp !== 'number' || now >= claims.exp) return 'token is expired (exp)';
  // A template may set nbf, as Vault's documented example does, and Vault's JWT library checks it.
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || now < claims.nbf)) return 'token not valid yet (nbf)';
  return undefined;
}

/**
 * Checks a token's signature against the published keys, its issuer,
 * expiry, not-before time and (when given) audience, and that its entity exists and is
 * enabled. Every failure is an inactive result, never an error.
 */
export function introspect(store: OidcStore, index: IdentityIndex, token: string, clientId: string, logger: Logger): Introspection {
  const parsed = parseJwt(token);
  if (typeof parsed === 'string') return inactive(`error parsing token: ${parsed}`);
  if (findVerifyingKey(publishedKeys(store), parsed) === undefined) return inactive('unable to validate the token signature');

  const problem = claimsProblem(parsed.claims, store.issuer, clientId, Math.floor(Date.now() / 1000));
  if (problem !== undefined) return inactive(`error validating claims: validation failed, ${problem}`);

  const entity = typeof parsed.claims.sub === 'string' ? index.entity(parsed.claims.sub) : undefined;
  if (entity === undefined) return inactive('entity was not found');
  if (entity.disabled) return inactive('entity is disabled');
  logger.debug({ entityId: entity.id }, 'identity token introspected as active');
  return { active: true };
}

