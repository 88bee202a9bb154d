import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExpirySchedule, systemTimers } from './expiry-schedule.js';
import { ManualClock } from './test-support.js';

function scheduleWithClock(): { clock: ManualClock; schedule: ExpirySchedule; fired: string[][] } {
  const clock = new ManualClock(0);
  const fired: string[][] = [];
  const schedule = new ExpirySchedule(clock.now, clock, (keys) => fired.push(keys));
  return { clock, schedule, fired };
}

describe('ExpirySchedule', () => {
  test('schedule fires keys in order', () => {
    const { clock, schedule, fired } = scheduleWithClock();
    schedule.set('late', 3000);
    schedule.set('early', 1000);
    schedule.set('middle', 2000);

    clock.advance(999);
    assert.deepEqual(fired, []);
    clock.advance(1);
    assert.deepEqual(fired, [['early']]);
    clock.advance(5000);
    assert.deepEqual(fired, [['early'], ['middle'], ['late']]);
    assert.equal(schedule.size, 0);
  });

  test('schedule keeps one timer for many keys', () => {
    const { clock, schedule, fired } = scheduleWithClock();
    for (let index = 0; index < 10000; index++) schedule.set(`lease-${index}`, 1000 + (index % 100));
    assert.equal(clock.pendingTimers, 1);
    assert.equal(schedule.size, 10000);

    clock.advance(2000);
    assert.equal(fired.flat().length, 10000);
    assert.equal(clock.pendingTimers, 0);
  });

  test('schedule moves a key when set again', () => {
    const { clock, schedule, fired } = scheduleWithClock();
    schedule.set('lease', 1000);
    schedule.set('lease', 5000);
    assert.equal(schedule.dueAt('lease'), 5000);

    clock.advance(4999);
    assert.deepEqual(fired, []);
    clock.advance(1);
    assert.deepEqual(fired, [['lease']]);
  });

  test('schedule forgets a deleted key', () => {
    const { clock, schedule, fired } = scheduleWithClock();
    schedule.set('kept', 2000);
    schedule.set('dropped', 1000);
    schedule.delete('dropped');
    clock.advance(3000);
    assert.deepEqual(fired, [['kept']]);
  });

  test('schedule fires a past due time at once', () => {
    const { clock, schedule, fired } = scheduleWithClock();
    clock.advance(10_000);
    schedule.set('overdue', 1);
    clock.advance(0);
    assert.deepEqual(fired, [['overdue']]);
  });

  test('schedule re-arms past timer limit', () => {
    const { clock, schedule, fired } = scheduleWithClock();
    const fortyDays = 40 * 24 * 3600 * 1000;
    schedule.set('far', fortyDays);
    clock.advance(2 ** 31 - 1);
    assert.deepEqual(fired, []);
    assert.equal(clock.pendingTimers, 1);
    clock.advance(fortyDays);
    assert.deepEqual(fired, [['far']]);
  });

  test('schedule compacts stale heap items', () => {
    const { clock, schedule, fired } = scheduleWithClock();
    for (let round = 0; round < 500; round++) schedule.set('lease', 1000 + round);
    assert.equal(schedule.size, 1);
    clock.advance(1499);
    assert.deepEqual(fired, [['lease']]);
  });

  test('stopped schedule ignores new keys', () => {
    const { clock, schedule, fired } = scheduleWithClock();
    schedule.set('lease', 1000);
    schedule.stop();
    schedule.set('later', 1000);
    assert.equal(clock.pendingTimers, 0);
    clock.advance(2000);
    assert.deepEqual(fired, []);
  });

  test("system timers are unref'd", () => {
    const handle = systemTimers.setTimeout(() => undefined, 60_000) as NodeJS.Timeout;
    try {
      assert.equal(handle.hasRef(), false);
    } finally {
      systemTimers.clearTimeout(handle);
    }
  });
});
