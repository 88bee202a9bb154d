/**
 * Timestamps in nanoseconds since the Unix epoch, formatted the way Vault
 * prints them: RFC 3339 in UTC with up to nine fraction digits and trailing
 * zeros dropped, as Go's `time.RFC3339Nano` does (`2018-03-22T02:24:06.945319214Z`).
 */

/** A source of the current time, in nanoseconds since the Unix epoch. */
export interface Clock {
  /** Returns the current time; each call returns a value greater than the last. */
  now(): bigint;
}

const NANOS_PER_MILLI = 1_000_000n;
const NANOS_PER_SECOND = 1_000_000_000n;

/**
 * Creates the clock the engine uses outside tests.
 *
 * NOTE: JavaScript's wall clock has millisecond resolution. The digits below
 * the millisecond come from the monotonic `process.hrtime` clock, so they
 * order events within one millisecond but are not wall-clock precise.
 */
export function createSystemClock(): Clock {
  let last = 0n;
  return {
    now() {
      const subMillisecond = process.hrtime.bigint() % NANOS_PER_MILLI;
      const candidate = BigInt(Date.now()) * NANOS_PER_MILLI + subMillisecond;
      // Keep times strictly increasing, so a version deleted "now" is in the
      // past for the next request even within the same millisecond.
      last = candidate > last ? candidate : last + 1n;
      return last;
    },
  };
}

/**
 * The earliest and latest times {@link formatTimestamp} accepts: 0000-01-01
 * and the last nanosecond of 9999-12-31, because an RFC 3339 year has
 * exactly four digits.
 */
export const MIN_TIMESTAMP_NANOS = -62_167_219_200n * NANOS_PER_SECOND;
export const MAX_TIMESTAMP_NANOS = 253_402_300_800n * NANOS_PER_SECOND - 1n;

/**
 * Formats nanoseconds since the epoch as an RFC 3339 UTC timestamp.
 *
 * @throws RangeError when the time falls outside years 0000 to 9999, so
 *   that no caller can store a time that {@link parseTimestamp} rejects.
 */
export function formatTimestamp(nanos: bigint): string {
  if (nanos < MIN_TIMESTAMP_NANOS || nanos > MAX_TIMESTAMP_NANOS) {
    throw new RangeError(`time ${nanos}ns since the epoch is outside years 0000 to 9999, which RFC 3339 timestamps cover`);
  }

  // BigInt division truncates toward zero, so a time before 1970 borrows
  // one second to keep the fraction positive.
  let seconds = nanos / NANOS_PER_SECOND;
  let fraction = nanos % NANOS_PER_SECOND;
  if (fraction < 0n) {
    fraction += NANOS_PER_SECOND;
    seconds -= 1n;
  }

  // Within the range above, toISOString returns "YYYY-MM-DDTHH:MM:SS.sssZ".
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const digits = fraction.toString().padStart(9, '0').replace(/0+$/, '');
  return digits === '' ? `${base}Z` : `${base}.${digits}Z`;
}

const TIMESTAMP_PATTERN = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * Parses a timestamp written by {@link formatTimestamp} back to nanoseconds.
 *
 * @throws Error when the text is not such a timestamp, which means storage
 *   contains an entry this engine did not write.
 */
export function parseTimestamp(text: string): bigint {
  const match = TIMESTAMP_PATTERN.exec(text);
  const milliseconds = match === null ? NaN : Date.parse(`${match[1]}Z`);
  // Date.parse returns NaN for a date that matches the pattern but does not exist, such as month 13.
  if (match === null || Number.isNaN(milliseconds)) {
    throw new Error(`stored timestamp "${text}" is not an RFC 3339 UTC time`);
  }

  const fraction = BigInt((match[2] ?? '').padEnd(9, '0'));
  return BigInt(milliseconds) * NANOS_PER_MILLI + fraction;
}

/** Adds whole seconds to a time in nanoseconds. */
export function addSeconds(nanos: bigint, seconds: number): bigint {
  return nanos + BigInt(seconds) * NANOS_PER_SECOND;
}
