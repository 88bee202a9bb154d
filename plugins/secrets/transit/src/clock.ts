/**
 * Time for key creation and automatic rotation, with a seam for tests.
 */

/** A source of the current time. */
export interface Clock {
  /** Returns milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Formats milliseconds since the epoch as RFC 3339 in UTC with trailing
 * fraction zeros dropped, the way Go's `time.RFC3339Nano` prints the
 * creation times in Vault's responses (`2024-01-02T03:04:05.12Z`).
 */
export function formatTimestamp(milliseconds: number): string {
  const iso = new Date(milliseconds).toISOString();
  return iso.replace(/\.?0+Z$/, 'Z');
}
