/**
 * Roles as stored at `role/<lowercased name>`, one JSON entry each.
 */
import type { Storage, TokenSettings } from '@coffer/sdk';

export interface RoleEntry extends TokenSettings {
  /** `jwt` logs in at `login` with a token; `oidc` through the browser flow. */
  roleType: 'jwt' | 'oidc';
  /** The `aud` claim must contain one of these. Empty skips the check, but a jwt role then rejects any `aud` unless its keys come from OIDC discovery. */
  boundAudiences: string[];
  /** Claim whose string value names the user: the entity alias and display name. */
  userClaim: string;
  /** Read `userClaim` as a JSON pointer (RFC 6901) such as `/user/name`. */
  userClaimJsonPointer: boolean;
  /** Required value of the `sub` claim; empty skips the check. */
  boundSubject: string;
  /** Claim name or JSON pointer to the value or list of values one of which it must have. */
  boundClaims: Record<string, unknown>;
  /** `string` compares bound claim values exactly; `glob` lets `*` match any run of characters. */
  boundClaimsType: 'string' | 'glob';
  /** Claim name or JSON pointer to the metadata key that receives its string value. */
  claimMappings: Record<string, string>;
  /** Claim whose list of strings names the user's external groups; empty for none. */
  groupsClaim: string;
  /** Scopes requested in the browser flow besides `openid`. */
  oidcScopes: string[];
  /** Redirect URIs `oidc/auth_url` accepts. */
  allowedRedirectUris: string[];
  /** Log claims of ID tokens at debug level; never the token itself. */
  verboseOidcLogging: boolean;
  /** Seconds since the user last authenticated at the provider that an OIDC login accepts; 0 sends no `max_age`. */
  maxAge: number;
  /** Seconds of leeway on every time claim; 0 takes the default of 60 and -1 turns it off. */
  clockSkewLeeway: number;
  /** Seconds a token without `exp` stays valid after its `iat` or `nbf`; 0 takes the default of 150 and -1 means none. */
  expirationLeeway: number;
  /** Seconds before `exp` a token without `nbf` or `iat` becomes valid; 0 takes the default of 150 and -1 means none. */
  notBeforeLeeway: number;
}

const ROLE_PREFIX = 'role/';

export async function readRole(storage: Storage, name: string): Promise<RoleEntry | null> {
  const entry = await storage.get(ROLE_PREFIX + name);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as RoleEntry);
}

export async function writeRole(storage: Storage, name: string, role: RoleEntry): Promise<void> {
  await storage.put({ key: ROLE_PREFIX + name, value: Buffer.from(JSON.stringify(role)) });
}

export async function deleteRole(storage: Storage, name: string): Promise<void> {
  await storage.delete(ROLE_PREFIX + name);
}

export async function listRoles(storage: Storage): Promise<string[]> {
  return storage.list(ROLE_PREFIX);
}
