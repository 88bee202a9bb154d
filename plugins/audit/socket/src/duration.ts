/**
 * Go-style durations in milliseconds, for timeouts below one second, which
 * the SDK's whole-second parser would truncate to 0.
 */

const UNIT_MILLISECONDS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses `"2s"`, `"1500ms"`, `"1m30s"` or a plain number of seconds into
 * milliseconds. Returns `null` for anything else.
 */
export function parseDurationMilliseconds(input: string): number | null {
  const text = input.trim();
  if (text === '') return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;

  let total = 0;
  let position = 0;
  while (position < text.length) {
    DURATION_PART.lastIndex = position;
    const match = DURATION_PART.exec(text);
    if (match === null) return null;
    total += Number(match[1]) * UNIT_MILLISECONDS[match[2]];
    position = DURATION_PART.lastIndex;
  }
  return total;
}
