import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatDuration,
  MAX_DURATION,
  MAX_DURATION_SECONDS,
  MAX_TIMER_DELAY_MS,
  parseDurationSeconds,
  timerDelay,
  tryParseDuration,
} from './duration.js';

describe('parseDurationSeconds', () => {
  test('reads seconds and Go durations', () => {
    const cases: Array<[unknown, number]> = [
      [3600, 3600],
      [90.9, 90],
      ['3600', 3600],
      ['  90m ', 5400],
      ['1h30m', 5400],
      ['1.5s', 1],
      ['.5m', 30],
      ['1.s', 1],
      ['500ms', 0],
      ['1500ms', 1],
      ['4.35m', 261],
      ['1d12h', 129600],
      ['0', 0],
      ['', 0],
      ['0000000000000000000000000007s', 7],
    ];
    for (const [input, seconds] of cases) assert.equal(parseDurationSeconds(input), seconds, JSON.stringify(input));
  });

  test('returns null for what is not a duration', () => {
    for (const input of ['soon', '-1s', '1e300', '5x', '.s', 's', '1h 30m', -1, Number.NaN, Number.POSITIVE_INFINITY, -1n, null, undefined, {}, ['1h']]) {
      assert.equal(parseDurationSeconds(input), null, String(input));
      assert.deepEqual(tryParseDuration(input), { problem: 'invalid' }, String(input));
    }
  });
});

describe('the longest duration', () => {
  test('is the longest Go time.Duration, 2^63 - 1 ns, in whole seconds', () => {
    assert.equal(MAX_DURATION_SECONDS, Math.floor(Number(2n ** 63n - 1n) / 1e9));
    assert.equal(MAX_DURATION, formatDuration(MAX_DURATION_SECONDS));
    assert.equal(MAX_DURATION, '2562047h47m16s');
  });

  test('is accepted in every form', () => {
    const cases: Array<[unknown, number]> = [
      [MAX_DURATION_SECONDS, MAX_DURATION_SECONDS],
      [MAX_DURATION_SECONDS + 0.85, MAX_DURATION_SECONDS],
      [String(MAX_DURATION_SECONDS), MAX_DURATION_SECONDS],
      [BigInt(MAX_DURATION_SECONDS), MAX_DURATION_SECONDS],
      ['2562047h47m16s', MAX_DURATION_SECONDS],
      ['2562047h47m16.854775807s', MAX_DURATION_SECONDS],
      ['9223372036854775807ns', MAX_DURATION_SECONDS],
      ['106751d23h47m16s', MAX_DURATION_SECONDS],
      ['2562047h', 2562047 * 3600],
    ];
    for (const [input, seconds] of cases) assert.deepEqual(tryParseDuration(input), { seconds }, String(input));
  });

  test('anything longer is too long, with its length in seconds', () => {
    const cases: Array<[unknown, number]> = [
      [MAX_DURATION_SECONDS + 1, MAX_DURATION_SECONDS + 1],
      [MAX_DURATION_SECONDS + 0.9, MAX_DURATION_SECONDS + 0.9],
      [String(MAX_DURATION_SECONDS + 1), MAX_DURATION_SECONDS + 1],
      [BigInt(MAX_DURATION_SECONDS + 1), MAX_DURATION_SECONDS + 1],
      ['2562047h47m17s', MAX_DURATION_SECONDS + 1],
      ['106751d23h47m17s', MAX_DURATION_SECONDS + 1],
      ['2562048h', 2562048 * 3600],
      [1e300, 1e300],
      [99999999999999999999n, 1e20],
      ['99999999999999999999999999999999', 1e32],
    ];
    for (const [input, seconds] of cases) {
      assert.deepEqual(tryParseDuration(input), { problem: 'too_long', seconds }, String(input));
      assert.equal(parseDurationSeconds(input), null, String(input));
    }
  });

  test('falls where Go puts it, to the nanosecond', () => {
    for (const input of ['2562047h47m16.854775808s', '9223372036854775808ns', '9223372036854775807ns1ns', '2562047h47m16s854775808ns', '99999999999999999h']) {
      const parsed = tryParseDuration(input);
      assert.equal(parsed.problem, 'too_long', input);
      assert.ok(parsed.seconds > MAX_DURATION_SECONDS, input);
    }
    assert.deepEqual(tryParseDuration('2562047h47m16s854775807ns'), { seconds: MAX_DURATION_SECONDS });
  });

  test('long digit run and invalid suffix', () => {
    const digits = '9'.repeat(100_000);
    assert.equal(tryParseDuration(`${digits}h`).problem, 'too_long');
    assert.equal(tryParseDuration(`1.${digits}h`).problem, undefined);
    assert.equal(tryParseDuration(digits).problem, 'too_long');
    assert.equal(tryParseDuration(`${digits}hx`).problem, 'invalid');
  });
});

describe('timerDelay', () => {
  test('clamps to what a Node.js timer keeps', () => {
    assert.equal(timerDelay(1500), 1500);
    assert.equal(timerDelay(-5), 0);
    assert.equal(timerDelay(MAX_TIMER_DELAY_MS), MAX_TIMER_DELAY_MS);
    assert.equal(timerDelay(MAX_TIMER_DELAY_MS + 1), MAX_TIMER_DELAY_MS);
    assert.equal(timerDelay(MAX_DURATION_SECONDS * 1000), MAX_TIMER_DELAY_MS);
    assert.equal(timerDelay(Number.POSITIVE_INFINITY), MAX_TIMER_DELAY_MS);
  });
});
