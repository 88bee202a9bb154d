/**
 * Go-style durations, as Vault accepts them: an integer number of seconds
 * (`3600`, `"3600"`) or a sequence of decimal numbers with units
 * (`"1h30m"`, `"90m"`, `"1.5s"`, `"500ms"`), plus `d` for days as Vault's
 * parseutil allows.
 */

const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  'µs': 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/y;

/**
 * Parses a duration into whole seconds, truncating fractions.
 * Returns `null` when the input is not a duration.
 */
export function parseDurationSeconds(input: unknown): number | null {
  if (typeof input === 'number') {
    return Number.isFinite(input) && input >= 0 ? Math.trunc(input) : null;
  }
  if (typeof input !== 'string') return null;

  const text = input.trim();
  if (text === '') return 0;
  if (/^\d+$/.test(text)) return Number(text);

  let total = 0;
  DURATION_PART.lastIndex = 0;
  let position = 0;
  while (position < text.length) {
    DURATION_PART.lastIndex = position;
    const match = DURATION_PART.exec(text);
    if (match === null) return null;
    total += Number(match[1]) * UNIT_SECONDS[match[2]];
    position = DURATION_PART.lastIndex;
  }
  return Math.trunc(total);
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
