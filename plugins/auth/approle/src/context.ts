/**
 * The state shared by every path of one AppRole mount.
 */
import type { KeyedLock, Logger, SystemView } from '@coffer/sdk';
import type { MountSalt } from './salt.js';

export interface AppRoleContext {
  salt: MountSalt;
  /** Serializes changes to one role, keyed by its lowercased name. */
  roleLocks: KeyedLock;
  /** Serializes uses and changes of one secret ID, keyed by its HMAC. */
  secretIdLocks: KeyedLock;
  system: SystemView;
  logger: Logger;
  /** Milliseconds since the Unix epoch; tests move it forward to expire secret IDs. */
  now(): number;
}
