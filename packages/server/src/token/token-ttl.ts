/**
 * Token TTL arithmetic, following Vault's token store: a periodic token
 * lives for its period and may be renewed forever, unless an explicit max
 * TTL caps it; any other token gets the requested TTL or the default, capped
 * by its explicit max TTL and by the system max TTL.
 */
import { badRequest } from '@coffer/sdk';

export interface TtlInputs {
  /** Requested TTL in seconds; 0 when not given. */
  requested: number;
  period: number;
  explicitMaxTtl: number;
  /** The token mount's default lease TTL (tune, else the server default). */
  defaultTtl: number;
  /** The token mount's max lease TTL (tune, else the server max). */
  maxTtl: number;
  /** Root tokens without a TTL never expire. */
  isRoot: boolean;
}

export interface TtlResult {
  ttl: number;
  warnings: string[];
}

export function creationTtl(inputs: TtlInputs): TtlResult {
  const warnings: string[] = [];
  if (inputs.period > 0) {
    const capped = inputs.explicitMaxTtl > 0 && inputs.period > inputs.explicitMaxTtl;
    return { ttl: capped ? inputs.explicitMaxTtl : inputs.period, warnings };
  }

  let ttl = inputs.requested;
  if (ttl === 0 && !(inputs.isRoot && inputs.explicitMaxTtl === 0)) ttl = inputs.defaultTtl;
  if (inputs.explicitMaxTtl > 0 && (ttl === 0 || ttl > inputs.explicitMaxTtl)) {
    if (ttl > inputs.explicitMaxTtl) {
      warnings.push(`explicit max TTL of ${inputs.explicitMaxTtl}s is smaller than the requested TTL; the TTL is capped accordingly`);
    }
    ttl = inputs.explicitMaxTtl;
  }
  if (ttl !== 0 && inputs.maxTtl > 0 && ttl > inputs.maxTtl) {
    warnings.push(`TTL of ${ttl}s exceeded the effective max_ttl of ${inputs.maxTtl}s; TTL value is capped accordingly`);
    ttl = inputs.maxTtl;
  }
  return { ttl, warnings };
}

export interface RenewInputs {
  /** Unix seconds the token was created at. */
  creationTime: number;
  creationTtl: number;
  period: number;
  explicitMaxTtl: number;
  /** The token mount's max lease TTL in seconds. */
  maxTtl: number;
  /** Requested increment in seconds; 0 when not given. */
  increment: number;
  /** Current time, unix milliseconds. */
  now: number;
}

/** Returns the new expiry time (unix ms) of a renewed token and any warning. */
export function renewedExpiry(inputs: RenewInputs): { expireTime: number; ttl: number; warnings: string[] } {
  const warnings: string[] = [];
  const wanted = inputs.period > 0 ? inputs.period : inputs.increment > 0 ? inputs.increment : inputs.creationTtl;
  let expireTime = inputs.now + wanted * 1000;

  const limits: number[] = [];
  if (inputs.explicitMaxTtl > 0) limits.push((inputs.creationTime + inputs.explicitMaxTtl) * 1000);
  if (inputs.period === 0 && inputs.maxTtl > 0) limits.push((inputs.creationTime + inputs.maxTtl) * 1000);
  const limit = limits.length > 0 ? Math.min(...limits) : Infinity;
  if (expireTime > limit) {
    expireTime = limit;
    warnings.push(`TTL of ${wanted}s exceeded the effective max_ttl; TTL value is capped accordingly`);
  }
  const ttl = Math.max(0, Math.floor((expireTime - inputs.now) / 1000));
  return { expireTime, ttl, warnings };
}

export interface LoginRenewInputs {
  /** Unix seconds the token was issued at. */
  creationTime: number;
  /** Requested increment in seconds; 0 when not given. */
  increment: number;
  /** TTL, max TTL and period in seconds that the auth method returned; 0 when unset. */
  backendTtl: number;
  backendMaxTtl: number;
  period: number;
  /** The token's explicit max TTL in seconds; 0 when unset. */
  explicitMaxTtl: number;
  /** The auth mount's default and max lease TTL in seconds. */
  defaultTtl: number;
  maxTtl: number;
  /** Current time, unix milliseconds. */
  now: number;
}

/**
 * Returns the new expiry time (unix ms) of a renewed login token, by the
 * rules of Vault's framework.CalculateTTL. A periodic token gets its period,
 * capped by the max TTL and limited only by its explicit max TTL. Any other
 * token gets the increment, else the method's TTL, else the mount default.
 * It never runs past its issue time plus the smallest of the method's max
 * TTL, its explicit max TTL and the mount's max TTL.
 * @throws CofferError (400) when the token is already past its max TTL.
 */
export function renewedLoginExpiry(inputs: LoginRenewInputs): { expireTime: number; ttl: number; warnings: string[] } {
  const warnings: string[] = [];
  const nowSeconds = Math.floor(inputs.now / 1000);
  let maxTtl = inputs.maxTtl;
  if (inputs.backendMaxTtl > 0 && inputs.backendMaxTtl < maxTtl) maxTtl = inputs.backendMaxTtl;
  if (inputs.explicitMaxTtl > 0 && inputs.explicitMaxTtl < maxTtl) maxTtl = inputs.explicitMaxTtl;

  let ttl: number;
  let limit: number | undefined;
  if (inputs.period > 0) {
    ttl = inputs.period;
    if (ttl > maxTtl) {
      warnings.push(`period of ${ttl}s exceeded the effective max_ttl of ${maxTtl}s; period value is capped accordingly`);
      ttl = maxTtl;
    }
    if (inputs.explicitMaxTtl > 0) limit = inputs.creationTime + inputs.explicitMaxTtl;
  } else {
    ttl = inputs.defaultTtl;
    if (inputs.backendTtl > 0) ttl = inputs.backendTtl;
    if (inputs.increment > 0) ttl = inputs.increment;
    limit = inputs.creationTime + maxTtl;
  }

  if (limit !== undefined) {
    const left = limit - nowSeconds;
    if (left <= 0) throw badRequest('past the max TTL, cannot renew');
    if (ttl > left) {
      warnings.push(`TTL of ${ttl}s exceeded the effective max_ttl of ${left}s; TTL value is capped accordingly`);
      ttl = left;
    }
  }
  return { expireTime: inputs.now + ttl * 1000, ttl, warnings };
}
