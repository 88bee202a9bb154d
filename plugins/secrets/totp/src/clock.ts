/**
 * The time codes are computed for, with a seam for tests.
 */

/** A source of the current time. */
export interface Clock {
  /** Returns milliseconds since the Unix epoch. */
  now(): number;
}

/** The machine's clock. */
export const systemClock: Clock = { now: () => Date.now() };
