/**
 * The renew and revoke requests the expiration manager sends to the backend
 * that issued a secret, and the mount it reaches them through.
 */
import { randomUUID } from 'node:crypto';
import { CofferError, type LogicalBackend, type Request, type Response, type SecretOperation, type Storage, type SystemView } from '@coffer/sdk';
import type { LeaseEntry } from './lease-entry.js';

/** The mount that serves a lease's path. */
export interface LeaseTarget {
  backend: LogicalBackend;
  /** The mount's storage view, handed to the backend as `request.storage`. */
  storage: Storage;
  /** With a trailing `/`, e.g. `db/`. */
  mountPoint: string;
  mountType: string;
  /** The mount's tuned lease TTLs. */
  system: SystemView;
  /** The mount's accessor, which `sys/leases/count` groups by; the mount point is used when absent. */
  mountAccessor?: string;
}

/**
 * Returns the error for a lease whose mount is gone. Retrying cannot help,
 * so the status is 404, which the revocation queue treats as unrecoverable.
 */
export function noMountError(path: string): CofferError {
  return new CofferError('COFFER_ERR_NO_ROUTE', 404, `no handler for route "${path}": the mount was disabled or moved`);
}

/**
 * Sends a `renew` or `revoke` request for a secret lease to its backend.
 * The backend gets copies of the stored data, so a handler that changes
 * them changes nothing stored.
 */
export async function sendSecretRequest(
  target: LeaseTarget,
  entry: LeaseEntry,
  operation: SecretOperation,
  increment: number,
): Promise<Response | null> {
  const secret = entry.secret!;
  const request: Request = {
    id: randomUUID(),
    operation,
    path: pathInMount(entry.path, target.mountPoint),
    data: structuredClone(entry.data ?? {}),
    storage: target.storage,
    mountPoint: target.mountPoint,
    mountType: target.mountType,
    // Vault sends renew and revoke requests without a client token too.
    clientToken: '',
    headers: {},
    secret: {
      leaseId: entry.leaseId,
      internalData: structuredClone(secret.internalData),
      ttl: secret.ttl,
      issueTime: new Date(entry.issueTime).toISOString(),
      ...(entry.lastRenewalTime !== 0 ? { lastRenewalTime: new Date(entry.lastRenewalTime).toISOString() } : {}),
      increment,
    },
  };
  return target.backend.handleRequest(request);
}

/** Returns `path` relative to the mount point, as backends see request paths. */
export function pathInMount(path: string, mountPoint: string): string {
  if (path.startsWith(mountPoint)) return path.slice(mountPoint.length);
  if (`${path}/` === mountPoint) return '';
  return path;
}

/**
 * Wraps a backend's failure so the message names the lease. A CofferError
 * keeps its code and status, so the caller still sees a 4xx as a 4xx.
 */
export function leaseOperationError(action: 'renew' | 'revoke', leaseId: string, err: unknown): CofferError {
  // Errors from this module already name the lease.
  if (err instanceof CofferError && err.message.startsWith(`failed to ${action} lease "${leaseId}"`)) return err;
  const message = `failed to ${action} lease "${leaseId}": ${err instanceof Error ? err.message : String(err)}`;
  if (err instanceof CofferError) return new CofferError(err.code, err.status, message);
  return new CofferError(action === 'renew' ? 'COFFER_ERR_LEASE_RENEW' : 'COFFER_ERR_LEASE_REVOKE', 500, message);
}
