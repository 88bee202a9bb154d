/**
 * The state that every path of one ssh mount shares.
 */
import type { SystemView } from '@coffer/sdk';

/** A source of the current time, so tests can fix it. */
export interface Clock {
  /** Returns milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface SshContext {
  system: SystemView;
  clock: Clock;
}
