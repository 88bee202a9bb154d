/**
 * Validity periods: the TTL a request gets from its own field, its role
 * and the mount, capped by the maximum and by the CA's own expiry.
 */
import type { SystemView } from '@coffer/sdk';
import { badRequest } from '@coffer/sdk';
import { invalidField } from './errors.js';

const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * Parses the `not_after` field: empty, or a UTC time such as
 * 2030-01-02T03:04:05Z, as Vault takes it. A request may set it or `ttl`, not both.
 * @throws CofferError (400) naming the field.
 */
export function parseNotAfter(text: string, ttl: number): Date | undefined {
  if (text === '') return undefined;
  const date = new Date(text);
  // Date rolls an impossible day or hour over (February 30 becomes March 2), so the time must read back unchanged.
  if (!UTC_TIME.test(text) || Number.isNaN(date.getTime()) || date.toISOString().replace('.000Z', 'Z') !== text) {
    throw invalidField('not_after', `"${text}" is not a UTC time such as 2030-01-02T03:04:05Z`);
  }
  if (ttl !== 0) throw invalidField('not_after', 'either ttl or not_after should be provided, not both');
  return date;
}

/**
 * Returns the expiry that a request under a role gets, with Vault's
 * precedence: the role's not_after, else the request's not_after, else
 * none (a TTL applies). A role with not_after rejects a request's ttl, as
 * Vault does, and its not_after wins over the request's.
 * @throws CofferError (400) naming the field.
 */
export function requestedNotAfter(roleNotAfter: string, text: string, ttl: number): Date | undefined {
  if (roleNotAfter === '') return parseNotAfter(text, ttl);
  if (ttl !== 0) throw invalidField('ttl', 'either ttl or not_after should be provided, not both, and the role sets not_after');
  return parseNotAfter(roleNotAfter, 0);
}

/** The TTL settings that apply to one request, in seconds; 0 means unset. */
export interface TtlInput {
  requested: number;
  /** An explicit notAfter from the request's `not_after`, used in place of a TTL. */
  requestedNotAfter?: Date;
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
 * warning, as Vault does. A `not_after` takes the place of the TTL, and is
 * cut to the maximum the same way.
 * @throws CofferError (400) when the certificate would outlive its CA.
 */
export function certificateNotAfter(input: TtlInput): { notAfter: Date; warnings: string[] } {
  const warnings: string[] = [];
  const maxTtl = input.roleMaxTtl || input.system.maxLeaseTtl();
  let ttl = input.requested || input.roleTtl || input.system.defaultLeaseTtl();
  if (input.requestedNotAfter !== undefined) {
    ttl = Math.ceil((input.requestedNotAfter.getTime() - input.now.getTime()) / 1000);
    if (ttl <= 0) throw invalidField('not_after', `${input.requestedNotAfter.toISOString()} is not in the future`);
  }
  if (ttl > maxTtl) {
    warnings.push(`TTL "${ttl}s" is longer than permitted maxTTL "${maxTtl}s", so using maxTTL`);
    ttl = maxTtl;
  }

  const notAfter =
    input.requestedNotAfter !== undefined && ttl < maxTtl ? input.requestedNotAfter : new Date(input.now.getTime() + ttl * 1000);
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
