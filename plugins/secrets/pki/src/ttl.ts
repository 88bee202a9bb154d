/**
 * Validity periods: the TTL a request gets from its own field, its role
 * and the mount, capped by the maximum and by the CA's own expiry.
 */
import type { SystemView } from '@coffer/sdk';
import { badRequest } from '@coffer/sdk';

/** The TTL settings that apply to one request, in seconds; 0 means unset. */
export interface TtlInput {
  requested: number;
  roleTtl: number;
  roleMaxTtl: number;
  system: SystemView;
  now: Date;
  /** The signing CA's expiry; absent for a self-signed root. */
  caNotAfter?: Date;
}

/**
 * Returns the notAfter of a new certificate and any warnings. The TTL is
 * the request's, else the role's, else the mount's default. A TTL past the
 * maximum (the role's, else the mount's) is cut to the maximum with a
 * warning, as Vault does.
 * @throws CofferError (400) when the certificate would outlive its CA.
 */
export function certificateNotAfter(input: TtlInput): { notAfter: Date; warnings: string[] } {
  const warnings: string[] = [];
  let ttl = input.requested || input.roleTtl || input.system.defaultLeaseTtl();
  const maxTtl = input.roleMaxTtl || input.system.maxLeaseTtl();
  if (ttl > maxTtl) {
    warnings.push(`TTL "${ttl}s" is longer than permitted maxTTL "${maxTtl}s", so using maxTTL`);
    ttl = maxTtl;
  }

  const notAfter = new Date(input.now.getTime() + ttl * 1000);
  if (input.caNotAfter !== undefined && notAfter.getTime() > input.caNotAfter.getTime()) {
    throw badRequest(
      `cannot satisfy request, as TTL would result in notAfter of ${notAfter.toISOString()} that is beyond the expiration of the CA certificate at ${input.caNotAfter.toISOString()}`,
    );
  }
  return { notAfter, warnings };
}

/** Returns seconds since the Unix epoch of a date, as Vault's `expiration` field. */
export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
