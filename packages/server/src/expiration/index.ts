/**
 * Leases: the expiration manager, which registers, renews and revokes them
 * and revokes each at its expiry, and the `sys/leases` endpoints.
 */
export { ExpirationManager } from './expiration-manager.js';
export type { ExpirationDeps, IrrevocableLease, LeaseLookup, RegisteredLease, RenewedLease } from './expiration-manager.js';
export type { LeaseTarget } from './backend-request.js';
export type { TimerApi } from './expiry-schedule.js';
export type { RetryPolicy } from './revocation-queue.js';
export type { TidyReport } from './lease-tidy.js';
export { LEASE_SUDO_PATHS, leasePaths } from './path-leases.js';
