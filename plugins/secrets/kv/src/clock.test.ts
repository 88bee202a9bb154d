import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addSeconds,
  createSystemClock,
  formatTimestamp,
  MAX_TIMESTAMP_NANOS,
  MIN_TIMESTAMP_NANOS,
  parseTimestamp,
} from './clock.js';

describe('timestamps', () => {
  test('format trims trailing zeros like Go', () => {
    assert.equal(formatTimestamp(1_521_685_446_945_319_214n), '2018-03-22T02:24:06.945319214Z');
    assert.equal(formatTimestamp(1_521_685_446_945_319_000n), '2018-03-22T02:24:06.945319Z');
    assert.equal(formatTimestamp(1_521_685_446_900_000_000n), '2018-03-22T02:24:06.9Z');
    assert.equal(formatTimestamp(1_521_685_446_000_000_000n), '2018-03-22T02:24:06Z');
  });

  test('parse reverses format', () => {
    for (const nanos of [1_521_685_446_945_319_214n, 1_521_685_446_000_000_001n, 1_521_685_446_000_000_000n]) {
      assert.equal(parseTimestamp(formatTimestamp(nanos)), nanos);
    }
  });

  test('parse rejects other text', () => {
    assert.throws(() => parseTimestamp('2018-03-22 02:24:06'), { message: 'stored timestamp "2018-03-22 02:24:06" is not an RFC 3339 UTC time' });
  });

  test('format covers years 0000 to 9999', () => {
    assert.equal(formatTimestamp(MAX_TIMESTAMP_NANOS), '9999-12-31T23:59:59.999999999Z');
    assert.equal(formatTimestamp(MIN_TIMESTAMP_NANOS), '0000-01-01T00:00:00Z');
    assert.equal(parseTimestamp(formatTimestamp(MAX_TIMESTAMP_NANOS)), MAX_TIMESTAMP_NANOS);
    assert.equal(parseTimestamp(formatTimestamp(MIN_TIMESTAMP_NANOS)), MIN_TIMESTAMP_NANOS);
  });

  test('format rejects years past 9999', () => {
    assert.throws(() => formatTimestamp(MAX_TIMESTAMP_NANOS + 1n), {
      name: 'RangeError',
      message: 'time 253402300800000000000ns since the epoch is outside years 0000 to 9999, which RFC 3339 timestamps cover',
    });
    // 99999999h after 2024-01-02, the value that once produced "+013434-11-15T12:44.396Z".
    assert.throws(() => formatTimestamp(addSeconds(1_704_164_645_123_456_789n, 99_999_999 * 3600)), { name: 'RangeError' });
    // Far past the range of Date, where toISOString fails with "Invalid time value".
    assert.throws(() => formatTimestamp(addSeconds(0n, 1e22)), { name: 'RangeError', message: /outside years 0000 to 9999/ });
  });

  test('format rejects years before 0000', () => {
    assert.throws(() => formatTimestamp(MIN_TIMESTAMP_NANOS - 1n), {
      name: 'RangeError',
      message: 'time -62167219200000000001ns since the epoch is outside years 0000 to 9999, which RFC 3339 timestamps cover',
    });
  });

  test('format before 1970 keeps the fraction positive', () => {
    assert.equal(formatTimestamp(-1n), '1969-12-31T23:59:59.999999999Z');
    assert.equal(formatTimestamp(-1_500_000_000n), '1969-12-31T23:59:58.5Z');
    assert.equal(parseTimestamp(formatTimestamp(-1_500_000_000n)), -1_500_000_000n);
  });

  test('parse rejects five-digit years and impossible dates', () => {
    for (const text of ['+013434-11-15T12:44.396Z', '+013434-11-15T12:44:05.396Z', '2024-13-01T00:00:00Z']) {
      assert.throws(() => parseTimestamp(text), { message: `stored timestamp "${text}" is not an RFC 3339 UTC time` });
    }
  });

  test('addSeconds', () => {
    assert.equal(addSeconds(5n, 2), 2_000_000_005n);
  });
});

describe('system clock', () => {
  test('strictly increasing and near Date.now', () => {
    const clock = createSystemClock();
    const before = BigInt(Date.now()) * 1_000_000n;

    const times = Array.from({ length: 1000 }, () => clock.now());

    for (let i = 1; i < times.length; i += 1) assert.ok(times[i] > times[i - 1]);
    assert.ok(times[0] >= before);
    assert.ok(times[times.length - 1] <= BigInt(Date.now() + 1) * 1_000_000n + 1000n);
  });

  test('formats with a nine-digit fraction', () => {
    assert.match(formatTimestamp(createSystemClock().now()), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/);
  });
});
