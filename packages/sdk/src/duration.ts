/**
 * Go-style durations, as Vault accepts them: an integer number of seconds
 * (`3600`, `"3600"`) or a sequence of decimal numbers with units
 * (`"1h30m"`, `"90m"`, `"1.5s"`, `"500ms"`), plus `d` for days as Vault's
 * parseutil allows.
 *
 * Vault keeps a duration as a Go time.Duration, an int64 count of
 * nanoseconds, and its parser fails on a longer one. So does this one: the
 * longest duration is 2^63 - 1 ns, 2562047h47m16.854775807s, about 292
 * years.
 */

/** Maximum duration in nanoseconds: the largest Go time.Duration. */
const MAX_DURATION_NANOSECONDS = 2n ** 63n - 1n;

/** Maximum duration in whole seconds, 2562047h47m16s (about 292 years). */
export const MAX_DURATION_SECONDS = 9_223_372_036;

/** MAX_DURATION_SECONDS as Go prints it, for messages: `2562047h47m16s`. */
export const MAX_DURATION = '2562047h47m16s';

/** Maximum duration in seconds, fractions included, as the nearest number. */
const MAX_DURATION_SECONDS_AND_FRACTION = Number(MAX_DURATION_NANOSECONDS) / 1e9;

const NANOSECONDS_PER_SECOND = 1_000_000_000n;

const UNIT_NANOSECONDS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n,
  ms: 1_000_000n,
  s: NANOSECONDS_PER_SECOND,
  m: 60n * NANOSECONDS_PER_SECOND,
  h: 3_600n * NANOSECONDS_PER_SECOND,
  d: 86_400n * NANOSECONDS_PER_SECOND,
};

const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/y;

/**
 * Digits of a number of nanoseconds past which it overflows whatever its
 * unit, so that a long run of digits is not converted to a bigint, which
 * takes time quadratic in its length.
 */
const MAX_WHOLE_DIGITS = String(MAX_DURATION_NANOSECONDS).length;

/** Digits of a fraction that count: later ones add less than a nanosecond, even to a day. */
const MAX_FRACTION_DIGITS = 18;

/**
 * The outcome of {@link tryParseDuration}: whole seconds, or why the input
 * is not a duration. A duration longer than MAX_DURATION_SECONDS is
 * `too_long`, with its length in seconds for messages: above
 * MAX_DURATION_SECONDS, and not exact.
 */
export type ParsedDuration =
  | { problem?: undefined; seconds: number }
  | { problem: 'invalid' }
  | { problem: 'too_long'; seconds: number };

/**
 * Parses a duration into whole seconds, truncating fractions, and
 * distinguishes a value that is not a duration from one that is too long.
 */
export function tryParseDuration(input: unknown): ParsedDuration {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return { problem: 'invalid' };
    if (input > MAX_DURATION_SECONDS_AND_FRACTION) return { problem: 'too_long', seconds: input };
    return { seconds: Math.trunc(input) };
  }
  // A request body keeps an integer past Number.MAX_SAFE_INTEGER as a bigint.
  if (typeof input === 'bigint') {
    if (input < 0n) return { problem: 'invalid' };
    return input > BigInt(MAX_DURATION_SECONDS) ? { problem: 'too_long', seconds: Number(input) } : { seconds: Number(input) };
  }
  if (typeof input !== 'string') return { problem: 'invalid' };

  const text = input.trim();
  if (text === '') return { seconds: 0 };
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return seconds > MAX_DURATION_SECONDS ? { problem: 'too_long', seconds } : { seconds };
  }

  // Exact in nanoseconds, as Go counts, so that the limit falls where Go's does.
  let nanoseconds = 0n;
  let overflow = false;
  let approximateSeconds = 0;
  let position = 0;
  while (position < text.length) {
    DURATION_PART.lastIndex = position;
    const match = DURATION_PART.exec(text);
    if (match === null) return { problem: 'invalid' };
    const [, number, unit] = match;
    const [whole, fraction = ''] = number.split('.');
    const wholeDigits = whole.replace(/^0+/, '');
    const unitNanoseconds = UNIT_NANOSECONDS[unit];
    if (wholeDigits.length > MAX_WHOLE_DIGITS) overflow = true;
    else nanoseconds += BigInt(wholeDigits === '' ? 0 : wholeDigits) * unitNanoseconds;
    const counted = fraction.slice(0, MAX_FRACTION_DIGITS);
    if (counted !== '') nanoseconds += (BigInt(counted) * unitNanoseconds) / 10n ** BigInt(counted.length);
    approximateSeconds += (Number(number) * Number(unitNanoseconds)) / 1e9;
    position = DURATION_PART.lastIndex;
  }
  if (overflow) return { problem: 'too_long', seconds: approximateSeconds };
  if (nanoseconds > MAX_DURATION_NANOSECONDS) return { problem: 'too_long', seconds: Number(nanoseconds) / 1e9 };
  return { seconds: Number(nanoseconds / NANOSECONDS_PER_SECOND) };
}

/**
 * Parses a duration into whole seconds, truncating fractions.
 * Returns `null` when the input is not a duration or is longer than
 * MAX_DURATION_SECONDS; {@link tryParseDuration} distinguishes the two.
 */
export function parseDurationSeconds(input: unknown): number | null {
  const parsed = tryParseDuration(input);
  return parsed.problem === undefined ? parsed.seconds : null;
}

/** Formats seconds the way Go's time.Duration prints them, e.g. `768h0m0s`. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${rest}s`;
  if (minutes > 0) return `${minutes}m${rest}s`;
  return `${rest}s`;
}

/**
 * Longest delay, in milliseconds, that Node.js timers keep: a longer one,
 * such as a socket timeout of weeks, fires after 1 ms instead.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Returns `milliseconds` clamped to 0 to MAX_TIMER_DELAY_MS, for a timer or
 * socket timeout set from a configured duration. A timeout of about 24.8
 * days or more then waits that long, which for a network call means never.
 */
export function timerDelay(milliseconds: number): number {
  return Math.min(Math.max(0, milliseconds), MAX_TIMER_DELAY_MS);
}
