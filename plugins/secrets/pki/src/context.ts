/**
 * The state that every path of one PKI mount shares.
 */
import type { KeyedLock, Logger, SystemView } from '@coffer/sdk';

/** A source of the current time, with a seam for tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface PkiContext {
  logger: Logger;
  system: SystemView;
  clock: Clock;
  /**
   * Serializes changes of the CA (key `ca`) and rebuilds of the CRL (key
   * `crl`). A task on `ca` may take `crl` inside it, never the other way round.
   */
  locks: KeyedLock;
}
