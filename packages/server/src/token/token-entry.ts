/**
 * The stored form of a token and its lookup output.
 */
import type { Response } from '@coffer/sdk';

/**
 * A response that issued or renewed a token, carrying the `auth` block the
 * client receives. The token backend returns one directly; a login's `Auth`
 * from an auth method becomes one once the pipeline issued the token.
 */
export interface IssuedTokenResponse extends Response {
  issued: Record<string, unknown>;
}

export function hasIssuedToken(response: Response): response is IssuedTokenResponse {
  return 'issued' in response && typeof (response as IssuedTokenResponse).issued === 'object';
}

/** Builds the response of an endpoint that issued or renewed a token. */
export function issuedTokenResponse(issued: Record<string, unknown>, warnings: string[], data: Record<string, unknown> | null = null): IssuedTokenResponse {
  return { data, issued, warnings };
}

export type TokenType = 'service' | 'batch';

export interface TokenEntry {
  /** HMAC-SHA256 of the token ID under the store's salt; the storage key. */
  saltedId: string;
  accessor: string;
  /** Salted ID of the parent token; empty for an orphan. */
  parent: string;
  policies: string[];
  /** The path the token was created at, e.g. `auth/token/create`. */
  path: string;
  meta: Record<string, string> | null;
  displayName: string;
  /** Uses left; 0 means unlimited. */
  numUses: number;
  /** Unix seconds. */
  creationTime: number;
  /** TTL in seconds granted at creation; 0 means no expiry (root tokens only). */
  creationTtl: number;
  /** Unix milliseconds at which the token expires; 0 means never. */
  expireTime: number;
  /** Unix milliseconds of the last renewal; 0 if never renewed. */
  lastRenewalTime: number;
  explicitMaxTtl: number;
  /**
   * Max TTL in seconds that the issuing auth method set at login, already
   * capped by the mount's. Absent or 0 uses the system max TTL on renewal.
   */
  loginMaxTtl?: number;
  period: number;
  renewable: boolean;
  type: TokenType;
  /** Role the token was created through, if any. */
  role: string;
  entityId: string;
  /** Random ID that names this token's cubbyhole storage, so storage keys never derive from the token. */
  cubbyholeId: string;
  /** CIDR blocks the token may be used from; empty means anywhere. */
  boundCidrs: string[];
}

/** A token the caller presented, resolved to its entry. */
export interface ResolvedToken {
  id: string;
  entry: TokenEntry;
}

/** Seconds left before `entry` expires, at `now` (ms); 0 for a token that never expires. */
export function remainingTtl(entry: TokenEntry, now = Date.now()): number {
  if (entry.expireTime === 0) return 0;
  return Math.max(0, Math.floor((entry.expireTime - now) / 1000));
}

/** Formats an entry as Vault's token lookup does. `id` is omitted for lookups by accessor. */
export function describeToken(entry: TokenEntry, id: string | undefined, now = Date.now()): Record<string, unknown> {
  const described: Record<string, unknown> = {
    accessor: entry.accessor,
    creation_time: entry.creationTime,
    creation_ttl: entry.creationTtl,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expireTime === 0 ? null : new Date(entry.expireTime).toISOString(),
    explicit_max_ttl: entry.explicitMaxTtl,
    id: id ?? '',
    issue_time: new Date(entry.creationTime * 1000).toISOString(),
    meta: entry.meta,
    num_uses: entry.numUses,
    orphan: entry.parent === '',
    path: entry.path,
    policies: entry.policies,
    renewable: entry.renewable,
    ttl: remainingTtl(entry, now),
    type: entry.type,
  };
  if (entry.period > 0) described.period = entry.period;
  if (entry.role !== '') described.role = entry.role;
  if (entry.lastRenewalTime > 0) {
    described.last_renewal = new Date(entry.lastRenewalTime).toISOString();
    described.last_renewal_time = Math.floor(entry.lastRenewalTime / 1000);
  }
  if (entry.boundCidrs.length > 0) described.bound_cidrs = entry.boundCidrs;
  return described;
}

/** The `auth` block of a response that issued a token, as Vault returns it. */
export function authBlock(token: string, entry: TokenEntry, now = Date.now()): Record<string, unknown> {
  return {
    client_token: token,
    accessor: entry.accessor,
    policies: entry.policies,
    token_policies: entry.policies,
    metadata: entry.meta,
    lease_duration: remainingTtl(entry, now),
    renewable: entry.renewable,
    entity_id: entry.entityId,
    token_type: entry.type,
    orphan: entry.parent === '',
    mfa_requirement: null,
    num_uses: entry.numUses,
  };
}
