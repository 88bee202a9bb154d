import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addSeconds, createSystemClock, formatTimestamp, parseTimestamp } from './clock.js';

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
