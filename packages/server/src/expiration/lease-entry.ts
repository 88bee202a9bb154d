/**
 * A lease as the expiration manager stores it, and the rules read off one:
 * its ID, whether it may be renewed, and its remaining TTL.
 *
 * Two kinds share the format. A secret lease tracks a secret a backend
 * issued and is revoked through that backend. An auth lease tracks a
 * token's expiry and is revoked through the token store. Its ID ends in a
 * hash of the salted token ID, so no lease ID contains a token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { badRequest } from '@coffer/sdk';

const ENTRY_VERSION = 1;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Length of the random part of a lease ID, as Vault's 24 base62 characters. */
const LEASE_SUFFIX_LENGTH = 24;
/** Maximum length of the revocation error kept on an irrevocable lease, 240 characters as in Vault. */
const MAX_REVOKE_ERROR_LENGTH = 240;

/** The lease options of a secret lease, as last granted. */
export interface SecretLeaseState {
  /** Seconds granted at issue or at the last renewal. */
  ttl: number;
  /** The backend's max TTL in seconds from issue time; 0 when it set none. */
  maxTtl: number;
  renewable: boolean;
  /** The backend's data for renew and revoke, including `secret_type`. */
  internalData: Record<string, unknown>;
}

export interface LeaseEntry {
  version: number;
  leaseId: string;
  kind: 'secret' | 'auth';
  /** The request path that created the lease, mount point included. */
  path: string;
  /**
   * Secret lease: the salted ID of the token that requested it, '' for none.
   * Auth lease: the salted ID of the token whose expiry it tracks.
   */
  clientTokenId: string;
  /** Unix milliseconds. */
  issueTime: number;
  /** Unix milliseconds; 0 for a lease that never expires, such as a root token's. */
  expireTime: number;
  /** Unix milliseconds; 0 before the first renewal. */
  lastRenewalTime: number;
  /** Secret leases only. */
  secret?: SecretLeaseState;
  /** The response data, stored for the backend's renew and revoke handlers. Secret leases only. */
  data?: Record<string, unknown>;
  /** Auth leases only: whether the token may be renewed. */
  authRenewable?: boolean;
  /**
   * Set once revocation has failed for good, marking the lease irrevocable:
   * it stays stored until a revocation succeeds or is forced.
   */
  revokeError?: string;
}

/** Makes a secret lease ID: the request path, then a random base62 part. */
export function newSecretLeaseId(path: string): string {
  return `${cleanLeasePath(path)}/${randomBase62(LEASE_SUFFIX_LENGTH)}`;
}

/** Makes the lease ID of a token's auth lease from its path and salted ID. */
export function authLeaseId(path: string, saltedTokenId: string): string {
  return `${cleanLeasePath(path)}/${sha256Hex(saltedTokenId)}`;
}

/** Returns the SHA-256 of `value` in hex. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * Drops empty segments from a request path so it can prefix a lease ID.
 * @throws CofferError (400) for a `.` or `..` segment, which could name another path.
 */
export function cleanLeasePath(path: string): string {
  const segments = path.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw badRequest(`invalid lease path "${path}": it must not contain "." or ".." segments`);
  }
  return segments.join('/');
}

/**
 * Returns why the lease cannot be renewed, in Vault's words, or null when it can.
 * The checks run in Vault's order, so a lease that is both expired and not
 * renewable reports "lease expired".
 */
export function renewalBlocker(entry: LeaseEntry | null, now: number): string | null {
  if (entry === null) return 'lease not found';
  if (entry.revokeError !== undefined) return 'lease is expired and has failed previous revocation attempts';
  if (entry.expireTime === 0) return 'lease is not renewable';
  if (entry.expireTime < now) return 'lease expired';
  const renewable = entry.kind === 'secret' ? entry.secret?.renewable === true : entry.authRenewable === true;
  return renewable ? null : 'lease is not renewable';
}

/**
 * Returns the whole seconds left until expiry, counted from `now` rounded to
 * the second as Vault does. The result is negative once overdue and 0 for a
 * lease without expiry.
 */
export function remainingTtl(entry: LeaseEntry, now: number): number {
  if (entry.expireTime === 0) return 0;
  return Math.trunc((entry.expireTime - Math.round(now / 1000) * 1000) / 1000);
}

/** Shortens a revocation error to the length stored on an irrevocable lease. */
export function revokeErrorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (text === '') return 'unknown';
  return text.length > MAX_REVOKE_ERROR_LENGTH ? text.slice(0, MAX_REVOKE_ERROR_LENGTH) : text;
}

export function encodeLeaseEntry(entry: LeaseEntry): Buffer {
  return Buffer.from(JSON.stringify(entry));
}

/**
 * Parses a stored lease entry.
 * @throws Error naming the lease when the entry is not a lease of a known version.
 */
export function decodeLeaseEntry(leaseId: string, value: Buffer): LeaseEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    throw new Error(`lease entry "${leaseId}" is not valid JSON`);
  }
  const problem = shapeProblem(parsed);
  if (problem !== null) throw new Error(`lease entry "${leaseId}" is malformed: ${problem}`);
  return parsed as LeaseEntry;
}

/** Creates the stored form of a new lease; exists so every entry gets the current version. */
export function newLeaseEntry(fields: Omit<LeaseEntry, 'version'>): LeaseEntry {
  return { version: ENTRY_VERSION, ...fields };
}

function shapeProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'expected an object';
  const entry = value as Partial<LeaseEntry>;
  if (entry.version !== ENTRY_VERSION) return `unsupported version ${JSON.stringify(entry.version)}`;
  if (typeof entry.leaseId !== 'string' || typeof entry.path !== 'string') return 'missing lease ID or path';
  if (entry.kind !== 'secret' && entry.kind !== 'auth') return `unknown kind ${JSON.stringify(entry.kind)}`;
  for (const name of ['issueTime', 'expireTime', 'lastRenewalTime'] as const) {
    if (typeof entry[name] !== 'number') return `missing ${name}`;
  }
  if (entry.kind === 'secret' && (typeof entry.secret !== 'object' || entry.secret === null)) return 'secret lease without lease options';
  return null;
}

function randomBase62(length: number): string {
  const characters: string[] = [];
  while (characters.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 is the largest multiple of 62 below 256; skipping larger bytes avoids modulo bias.
      if (byte < 248 && characters.length < length) characters.push(BASE62[byte % 62]);
    }
  }
  return characters.join('');
}
