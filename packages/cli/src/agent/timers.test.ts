import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { clearLongTimeout, setLongTimeout, wait } from './timers.js';

describe('agent timers', () => {
  test('long timeout does not fire early', async () => {
    let fired = false;
    const thirtyDays = 30 * 24 * 3600 * 1000;
    const timer = setLongTimeout(() => (fired = true), thirtyDays);
    await sleep(100);
    clearLongTimeout(timer);
    assert.equal(fired, false);
  });

  test('short timeout fires', async () => {
    let fired = false;
    setLongTimeout(() => (fired = true), 10);
    await sleep(300);
    assert.equal(fired, true);
  });

  test('wait ends on abort', async () => {
    const controller = new AbortController();
    const waiting = wait(Infinity, controller.signal);
    setTimeout(() => controller.abort(), 50);
    assert.equal(await waiting, false);
  });

  test('wait returns true after delay', async () => {
    assert.equal(await wait(0.05, new AbortController().signal), true);
  });
});
