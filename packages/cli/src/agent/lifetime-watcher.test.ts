// Tests of the lifetime watcher's timing with a renewal function in place of
// the server, and leases of a fraction of a second, or of months on mocked
// timers. The cache's tests run it against a real server.
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RenewalResult, WatcherEnd } from './lifetime-watcher.js';
import { LifetimeWatcher, TimerSet } from './lifetime-watcher.js';

/** Starts a watcher whose renewals return `results` in turn, the last one repeated, and records when each was sent. */
function watcher(leaseSeconds: number, results: RenewalResult[], options: { retryIntervalMs?: number } = {}) {
  const timers = new TimerSet();
  const started = Date.now();
  const calls: number[] = [];
  const renewed: number[] = [];
  const ends: WatcherEnd[] = [];
  const signals: AbortSignal[] = [];
  const instance = new LifetimeWatcher({
    leaseSeconds,
    renew: async (signal) => {
      calls.push(Date.now() - started);
      signals.push(signal);
      return results[Math.min(calls.length - 1, results.length - 1)];
    },
    onRenewed: (ttl) => renewed.push(ttl),
    onDone: (end) => ends.push(end),
    timers,
    random: () => 0,
    ...options,
  });
  instance.start();
  return { instance, timers, calls, renewed, ends, signals };
}

describe('lifetime watcher', () => {
  test('renews at two thirds of the lease', async () => {
    // A lease of 600 ms with no jitter has a grace period of 60 ms: the renewal comes at 400 + 20 ms.
    const run = watcher(0.6, [{ outcome: 'renewed', leaseSeconds: 0.6, renewable: true }]);
    await sleep(1_000);
    run.instance.stop();
    assert.ok(run.calls.length === 2, `renewed ${run.calls.length} times`);
    assert.ok(run.calls[0] >= 410, `first renewal after ${run.calls[0]} ms`);
    assert.ok(run.calls[0] < 600, `first renewal after ${run.calls[0]} ms`);
    assert.ok(run.calls[1] - run.calls[0] >= 410, `second renewal ${run.calls[1] - run.calls[0]} ms after the first`);
    assert.deepEqual(run.renewed, [0.6, 0.6]);
    assert.deepEqual(run.ends, []);
    assert.equal(run.timers.size, 0);
  });

  test('jitter spreads the first renewal', async () => {
    // With the largest jitter, the grace period is 20% of the lease and the wait grows by a third of it.
    const timers = new TimerSet();
    const started = Date.now();
    let at = 0;
    const instance = new LifetimeWatcher({
      leaseSeconds: 0.6,
      renew: async () => {
        at = Date.now() - started;
        return { outcome: 'rejected', message: 'stop' };
      },
      onRenewed: () => undefined,
      onDone: () => undefined,
      timers,
      random: () => 0.999,
    });
    instance.start();
    await sleep(700);
    assert.ok(at >= 435, `renewal after ${at} ms`);
    assert.ok(at < 600, `renewal after ${at} ms`);
  });

  test('ends when renewal stops extending', async () => {
    // At the max TTL the server renews for less than the grace period allows: the watcher ends without renewing again.
    const run = watcher(0.6, [{ outcome: 'renewed', leaseSeconds: 0.1, renewable: true }]);
    await sleep(700);
    assert.equal(run.calls.length, 1);
    assert.deepEqual(run.ends, [{ reason: 'expiring' }]);
    assert.equal(run.timers.size, 0);
  });

  test('renewal of zero seconds ends it', async () => {
    const run = watcher(0.3, [{ outcome: 'renewed', leaseSeconds: 0, renewable: true }]);
    await sleep(400);
    assert.deepEqual(run.ends, [{ reason: 'expiring' }]);
  });

  test('last renewal waits out the lease without renewing', async () => {
    // With renewable false, no more renewals are sent. The watcher ends once the lease is within its grace period.
    const run = watcher(0.3, [{ outcome: 'renewed', leaseSeconds: 0.6, renewable: false }]);
    await sleep(900);
    assert.equal(run.calls.length, 1);
    assert.deepEqual(run.ends, [{ reason: 'expiring' }]);
    assert.equal(run.timers.size, 0);
  });

  test('rejection ends it at once', async () => {
    const run = watcher(0.3, [{ outcome: 'rejected', message: 'code 400: lease not found' }]);
    await sleep(400);
    assert.equal(run.calls.length, 1);
    assert.deepEqual(run.ends, [{ reason: 'failed', message: 'code 400: lease not found' }]);
    assert.equal(run.timers.size, 0);
  });

  test('failed renewal is retried with backoff', async () => {
    // Lease 900 ms, grace 90 ms: the renewal at 630 ms fails, then retries come 25, 50 and 100 ms apart (half of 50, 100 and 200).
    const unavailable: RenewalResult = { outcome: 'unavailable', message: 'connect ECONNREFUSED' };
    const run = watcher(0.9, [unavailable, unavailable, { outcome: 'renewed', leaseSeconds: 0.9, renewable: true }], { retryIntervalMs: 50 });
    await sleep(800);
    run.instance.stop();
    assert.equal(run.calls.length, 3);
    const firstWait = run.calls[1] - run.calls[0];
    const secondWait = run.calls[2] - run.calls[1];
    assert.ok(firstWait >= 20, `first retry after ${firstWait} ms`);
    assert.ok(firstWait < 45, `first retry after ${firstWait} ms`);
    assert.ok(secondWait >= 45, `second retry after ${secondWait} ms`);
    assert.ok(secondWait < 80, `second retry after ${secondWait} ms`);
    assert.deepEqual(run.renewed, [0.9]);
    assert.deepEqual(run.ends, []);
  });

  test('retries end before the lease does', async () => {
    const run = watcher(0.9, [{ outcome: 'unavailable', message: 'code 503: sealed' }], { retryIntervalMs: 50 });
    await sleep(1_000);
    assert.ok(run.calls.length >= 3, `tried ${run.calls.length} times`);
    assert.ok(run.calls[run.calls.length - 1] < 900, `last try after ${run.calls[run.calls.length - 1]} ms`);
    assert.deepEqual(run.ends, [{ reason: 'failed', message: 'code 503: sealed' }]);
    assert.equal(run.timers.size, 0);
  });

  test('stop cancels timer and renewal in flight', async () => {
    const timers = new TimerSet();
    let signal: AbortSignal | undefined;
    const ends: WatcherEnd[] = [];
    const instance = new LifetimeWatcher({
      leaseSeconds: 0.15,
      renew: (received) => {
        signal = received;
        return new Promise((resolve) => received.addEventListener('abort', () => resolve({ outcome: 'unavailable', message: 'aborted' })));
      },
      onRenewed: () => undefined,
      onDone: (end) => ends.push(end),
      timers,
    });
    instance.start();
    assert.equal(timers.size, 1);
    await sleep(200);
    assert.equal(signal?.aborted, false);
    instance.stop();
    assert.equal(signal?.aborted, true);
    await sleep(50);
    assert.equal(timers.size, 0);
    assert.deepEqual(ends, []);

    const idle = new LifetimeWatcher({ leaseSeconds: 60, renew: () => Promise.reject(new Error('unused')), onRenewed: () => undefined, onDone: () => undefined, timers });
    idle.start();
    assert.equal(timers.size, 1);
    idle.stop();
    assert.equal(timers.size, 0);
  });

  test('renewal elsewhere moves the next one', async () => {
    const run = watcher(0.3, [{ outcome: 'renewed', leaseSeconds: 0.3, renewable: true }]);
    await sleep(150);
    // A renewal through the proxy to 900 ms: the next renewal comes about 600 ms later, not at 210 ms.
    run.instance.renewedElsewhere(0.9, true);
    await sleep(300);
    assert.equal(run.calls.length, 0);
    await sleep(500);
    run.instance.stop();
    assert.equal(run.calls.length, 1);
  });

  test('long lease renews at two thirds', () => {
    // A lease of 90 days with no jitter has a grace period of 9 days, so the renewal comes at 60 + 3 days.
    // The wait is longer than one timer can take, about 24.8 days.
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    // The watcher reads the monotonic clock, which the mocked timers do not move.
    mock.method(performance, 'now', () => Date.now());
    try {
      const day = 24 * 3600 * 1000;
      const run = watcher(90 * 24 * 3600, [{ outcome: 'renewed', leaseSeconds: 90 * 24 * 3600, renewable: true }]);
      mock.timers.tick(63 * day - 1);
      assert.deepEqual(run.calls, []);
      mock.timers.tick(1);
      assert.deepEqual(run.calls, [63 * day]);
      run.instance.stop();
      assert.equal(run.timers.size, 0);
    } finally {
      mock.timers.reset();
      mock.restoreAll();
    }
  });

  test('clock set back does not delay renewal', async () => {
    // The system clock goes back an hour after the watcher starts. The renewal still comes at 420 ms.
    const run = watcher(0.6, [{ outcome: 'renewed', leaseSeconds: 0.6, renewable: true }]);
    mock.timers.enable({ apis: ['Date'], now: Date.now() - 3600 * 1000 });
    try {
      await sleep(500);
      assert.equal(run.calls.length, 1);
      assert.deepEqual(run.renewed, [0.6]);
    } finally {
      mock.timers.reset();
      run.instance.stop();
    }
  });

  test('timer set caps long delays', async () => {
    // setTimeout fires a delay above 2^31 - 1 ms at once. The set waits about 24.8 days instead.
    const timers = new TimerSet();
    let fired = false;
    timers.set(() => (fired = true), 2 ** 40);
    await sleep(50);
    assert.equal(fired, false);
    assert.equal(timers.size, 1);
    timers.clearAll();
    assert.equal(timers.size, 0);
  });
});
