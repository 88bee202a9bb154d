/**
 * The state shared by every path of one cert auth mount.
 */
import type { KeyedLock, Logger, SystemView } from '@coffer/sdk';
import type { RevokedSerials } from './crls.js';

export interface CertContext {
  logger: Logger;
  system: SystemView;
  /** Revoked serials of all stored CRLs, cached between logins. */
  revoked: RevokedSerials;
  /** Serializes writes to one entry, keyed by `cert/<name>`, `crls/<name>` or `config`. */
  locks: KeyedLock;
  /** The current time; tests move it to check validity periods. */
  now(): Date;
}
