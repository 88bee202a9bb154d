/**
 * TTL arithmetic for secret leases, in whole seconds as Vault counts them.
 *
 * At issue a lease gets the backend's TTL, else the mount's default, capped
 * at the max TTL with Vault's warning. A renewal grants the requested increment, else the
 * backend's TTL, else the mount's default, and never reaches past issue
 * time plus the max TTL. The max TTL is the mount's, or the backend's when that is lower.
 * The renewal rules follow `CalculateTTL` in Vault's sdk/framework/lease.go.
 */
import { badRequest, formatDuration, type SystemView } from '@coffer/sdk';

/** Vault's default for both `default_lease_ttl` and `max_lease_ttl`: 768 hours. */
export const VAULT_DEFAULT_LEASE_TTL = 768 * 3600;

/** A mount's effective lease TTLs in seconds. */
export interface LeaseLimits {
  defaultTtl: number;
  maxTtl: number;
}

/** Reads a mount's lease TTLs, taking the server's for any the mount reports as 0. */
export function mountLimits(system: SystemView, server: LeaseLimits): LeaseLimits {
  return {
    defaultTtl: system.defaultLeaseTtl() || server.defaultTtl,
    maxTtl: system.maxLeaseTtl() || server.maxTtl,
  };
}

/** Returns the mount's max TTL, or the backend's when it is set and lower. */
export function effectiveMaxTtl(backendMaxTtl: number, limits: LeaseLimits): number {
  return backendMaxTtl > 0 && backendMaxTtl < limits.maxTtl ? backendMaxTtl : limits.maxTtl;
}

/** Returns the TTL in seconds to grant a new lease. */
export function issueTtl(requested: { ttl: number; maxTtl: number }, limits: LeaseLimits): number {
  const ttl = requested.ttl > 0 ? requested.ttl : limits.defaultTtl;
  return Math.min(ttl, effectiveMaxTtl(requested.maxTtl, limits));
}

/** Returns Vault's warning when {@link issueTtl} granted less than the backend's TTL, or none. */
export function issueWarnings(requested: { ttl: number }, granted: number, limits: LeaseLimits): string[] {
  const ttl = requested.ttl > 0 ? requested.ttl : limits.defaultTtl;
  return ttl > granted ? [cappedWarning(ttl, granted)] : [];
}

function cappedWarning(ttl: number, maxTtl: number): string {
  return `TTL of "${formatDuration(ttl)}" exceeded the effective max_ttl of "${formatDuration(maxTtl)}"; TTL value is capped accordingly`;
}

/** The result of a renewal. */
export interface Renewal {
  /** Seconds. */
  ttl: number;
  /** Unix milliseconds, never later than issue time plus the max TTL. */
  expireTime: number;
  /** Vault's warning when the TTL was capped at the max TTL. */
  warnings: string[];
}

export interface RenewalRequest {
  /** Seconds the client asked for; 0 for none. */
  increment: number;
  /** Seconds the backend's renew handler asked for; 0 for none. */
  backendTtl: number;
  /** The backend's max TTL in seconds; 0 for none. */
  backendMaxTtl: number;
  /** Unix milliseconds. */
  issueTime: number;
  /** Unix milliseconds. */
  now: number;
}

/**
 * Computes a renewal. Times are truncated to the second before the
 * arithmetic, as in Vault.
 *
 * @throws CofferError (400) "past the max TTL, cannot renew" when no time is left.
 */
export function renewalTtl(request: RenewalRequest, limits: LeaseLimits): Renewal {
  const nowSeconds = Math.floor(request.now / 1000);
  const issueSeconds = Math.floor(request.issueTime / 1000);
  const maxTtl = effectiveMaxTtl(request.backendMaxTtl, limits);

  let ttl = limits.defaultTtl;
  if (request.increment > 0) ttl = request.increment;
  else if (request.backendTtl > 0) ttl = request.backendTtl;

  // With exactly 0 seconds left, Vault grants a TTL of 0, which it treats as
  // "never expires". Rejecting the renewal instead keeps the max TTL a limit.
  const maxValidTtl = issueSeconds + maxTtl - nowSeconds;
  if (maxValidTtl <= 0) throw badRequest('past the max TTL, cannot renew');

  const warnings: string[] = [];
  if (ttl > maxValidTtl) {
    warnings.push(cappedWarning(ttl, maxValidTtl));
    ttl = maxValidTtl;
  }

  const expireTime = Math.min(request.now + ttl * 1000, request.issueTime + maxTtl * 1000);
  return { ttl, expireTime, warnings };
}
