/**
 * The HA lock cases: what every storage backend with an HA lock must do, as
 * two servers sharing it see it. The built-in etcd and PostgreSQL backends
 * run them in their tests, and `coffer plugin certify` runs them for a
 * vendor's backend that claims HA.
 *
 * @example
 * ```ts
 * import { runHaLockCases } from '@coffer/certify';
 *
 * runHaLockCases({
 *   name: 'mystore',
 *   contenders: async () => [await MyStorage.open(settings), await MyStorage.open(settings)],
 *   holdMs: 3_000,
 *   takeoverWithinMs: 5_000,
 * });
 * ```
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClosableStorage, HaStorage } from '@coffer/sdk';

/** A storage with its HA lock enabled, as one server opens it. */
export type HaContender = HaStorage & ClosableStorage;

/** How to run the HA lock cases against one backend. */
export interface HaLockCaseOptions {
  /** The backend's name, shown in the suite's name. */
  name: string;
  /**
   * Opens two storages on the same fresh lock namespace, as two servers on
   * one shared backend. Each case opens its own pair and closes both.
   */
  contenders(): Promise<[HaContender, HaContender]>;
  /**
   * The time the holder keeps the lock while a second contender waits, in
   * milliseconds. A time longer than the lock's TTL shows that renewals keep it.
   */
  holdMs: number;
  /**
   * The maximum time from closing the holder's storage, which stops its
   * renewals, until another contender has the lock, in milliseconds. Set it
   * to the TTL plus the backend's expiry delay.
   */
  takeoverWithinMs: number;
  /** The maximum time from a release until a waiting contender has the lock, in milliseconds (1,000 when unset). */
  releasedWithinMs?: number;
  /** When set, every case is skipped with this reason. */
  skip?: string;
}

/** The lock name the cases contend for. */
const LOCK_KEY = 'core/lock';

/** Declares the HA lock cases under one `describe` named after the backend. */
export function runHaLockCases(options: HaLockCaseOptions): void {
  const releasedWithinMs = options.releasedWithinMs ?? 1_000;

  // Each case is skipped on its own, so that a report lists every case with the reason.
  const skip = options.skip ?? false;

  describe(`${options.name} ha lock cases`, () => {
    test('second contender waits for unlock', { skip }, async () => {
      const [first, second] = await options.contenders();
      const lockA = first.lockWith(LOCK_KEY, 'http://a:8200');
      const lockB = second.lockWith(LOCK_KEY, 'http://b:8200');
      try {
        const lostA = await lockA.lock(new AbortController().signal);
        assert.equal(lostA?.aborted, false);
        assert.deepEqual(await lockB.value(), { held: true, value: 'http://a:8200' });

        let acquiredB = false;
        const waitB = lockB.lock(new AbortController().signal).then((signal) => {
          acquiredB = true;
          return signal;
        });
        await new Promise((resolve) => setTimeout(resolve, options.holdMs));
        assert.equal(acquiredB, false);
        assert.equal(lostA?.aborted, false);

        const releasedAt = Date.now();
        await lockA.unlock();
        const lostB = await waitB;
        const waitedMs = Date.now() - releasedAt;
        assert.equal(lostB?.aborted, false);
        assert.ok(waitedMs < releasedWithinMs, `the second contender got the lock ${waitedMs} ms after the release`);
        assert.deepEqual(await lockA.value(), { held: true, value: 'http://b:8200' });
        assert.equal(lostA?.aborted, false, 'an unlock is not a loss');
      } finally {
        await lockA.unlock();
        await lockB.unlock();
        await first.close();
        await second.close();
      }
    });

    test('takeover after holder stops renewing', { skip }, async () => {
      const [first, second] = await options.contenders();
      const lockA = first.lockWith(LOCK_KEY, 'http://a:8200');
      const lockB = second.lockWith(LOCK_KEY, 'http://b:8200');
      try {
        const lostA = await lockA.lock(new AbortController().signal);
        let lostAt = 0;
        lostA?.addEventListener('abort', () => (lostAt = Date.now()));

        // Closing the holder's storage makes each renewal fail, as a server cut off from the backend.
        const stoppedAt = Date.now();
        await first.close();
        const lostB = await lockB.lock(new AbortController().signal);
        const tookOverAt = Date.now();

        assert.equal(lostB?.aborted, false);
        assert.equal(lostA?.aborted, true);
        assert.ok(lostAt > 0, 'the old holder learns of the loss');
        assert.ok(lostAt <= tookOverAt, 'the old holder learns of the loss before the new one acquires');
        assert.ok(tookOverAt - stoppedAt <= options.takeoverWithinMs, `takeover took ${tookOverAt - stoppedAt} ms`);
        assert.deepEqual(await lockB.value(), { held: true, value: 'http://b:8200' });
      } finally {
        await lockB.unlock();
        await second.close();
      }
    });

    test('abort stops the wait', { skip }, async () => {
      const [first, second] = await options.contenders();
      const lockA = first.lockWith(LOCK_KEY, 'a');
      const lockB = second.lockWith(LOCK_KEY, 'b');
      try {
        await lockA.lock(new AbortController().signal);
        const abort = new AbortController();
        const waitB = lockB.lock(abort.signal);
        setTimeout(() => abort.abort(), 300);
        assert.equal(await waitB, undefined);
        assert.deepEqual(await lockB.value(), { held: true, value: 'a' });
      } finally {
        await lockA.unlock();
        await first.close();
        await second.close();
      }
    });

    test('value after release is empty', { skip }, async () => {
      const [first, second] = await options.contenders();
      const lockA = first.lockWith(LOCK_KEY, 'a');
      try {
        assert.deepEqual(await lockA.value(), { held: false, value: '' });
        await lockA.lock(new AbortController().signal);
        await lockA.unlock();
        assert.deepEqual(await lockA.value(), { held: false, value: '' });
      } finally {
        await first.close();
        await second.close();
      }
    });
  });
}
