import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { badRequest, internalError } from '@coffer/sdk';
import { isUnrecoverable, retryDelay, RevocationQueue, type RetryPolicy } from './revocation-queue.js';
import { RecordingLogger } from './test-support.js';

const policy: RetryPolicy = { baseDelayMs: 1000, maxDelayMs: 5000, maxAttempts: 3, jitter: 0 };

describe('retryDelay', () => {
  test('retryDelay doubles up to the cap', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((failures) => retryDelay(failures, policy)), [1000, 2000, 4000, 5000, 5000]);
  });

  test('retryDelay spreads by the jitter', () => {
    const jittered = { ...policy, jitter: 0.5 };
    assert.equal(retryDelay(2, jittered, () => 0), 1000);
    assert.equal(retryDelay(2, jittered, () => 0.5), 2000);
    assert.equal(retryDelay(2, jittered, () => 0.999), 2998);
  });
});

describe('isUnrecoverable', () => {
  test('isUnrecoverable accepts invalid requests only', () => {
    assert.equal(isUnrecoverable(badRequest('role "x" not found')), true);
    assert.equal(isUnrecoverable(internalError('disk full')), false);
    assert.equal(isUnrecoverable(new Error('connection refused')), false);
  });
});

interface Harness {
  queue: RevocationQueue;
  logger: RecordingLogger;
  retries: Array<[string, number]>;
  gaveUp: Array<[string, string, number]>;
  revoked: string[];
}

function harness(revoke: (leaseId: string) => Promise<void>, concurrency = 2): Harness {
  const logger = new RecordingLogger();
  const result: Omit<Harness, 'queue'> = { logger, retries: [], gaveUp: [], revoked: [] };
  const queue = new RevocationQueue(
    {
      async revoke(leaseId) {
        await revoke(leaseId);
        result.revoked.push(leaseId);
      },
      retryLater: (leaseId, delayMs) => result.retries.push([leaseId, delayMs]),
      async giveUp(leaseId, err, attempts) {
        result.gaveUp.push([leaseId, (err as Error).message, attempts]);
      },
    },
    logger,
    policy,
    concurrency,
  );
  return { ...result, queue };
}

describe('RevocationQueue', () => {
  test('queue respects the concurrency', async () => {
    let running = 0;
    let peak = 0;
    const { queue, revoked } = harness(async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
    }, 3);
    queue.enqueue(Array.from({ length: 20 }, (_, index) => `lease-${index}`));
    await queue.whenIdle();
    assert.equal(revoked.length, 20);
    assert.equal(peak, 3);
  });

  test('queue skips a lease already queued', async () => {
    const { queue, revoked } = harness(async () => undefined);
    queue.enqueue(['a', 'a', 'b']);
    queue.enqueue(['a']);
    await queue.whenIdle();
    assert.deepEqual(revoked.sort(), ['a', 'b']);
  });

  test('queue retries and logs failures', async () => {
    const { queue, retries, logger } = harness(async () => {
      throw new Error('connection refused');
    });
    for (let attempt = 1; attempt <= 2; attempt++) {
      queue.enqueue(['lease']);
      await queue.whenIdle();
    }
    assert.deepEqual(retries, [['lease', 1000], ['lease', 2000]]);
    const warnings = logger.withMessage('failed to revoke lease; retrying');
    assert.equal(warnings.length, 2);
    assert.equal(warnings[1].fields.leaseId, 'lease');
    assert.equal(warnings[1].fields.attempt, 2);
    assert.equal((warnings[1].fields.err as Error).message, 'connection refused');
    assert.equal(queue.failureCount('lease'), 2);
  });

  test('queue gives up after the last attempt', async () => {
    const { queue, gaveUp, retries, logger } = harness(async () => {
      throw new Error('connection refused');
    });
    for (let attempt = 1; attempt <= 3; attempt++) {
      queue.enqueue(['lease']);
      await queue.whenIdle();
    }
    assert.equal(retries.length, 2);
    assert.deepEqual(gaveUp, [['lease', 'connection refused', 3]]);
    const errors = logger.withMessage('failed to revoke lease; marking it irrevocable');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].level, 'error');
    assert.equal(errors[0].fields.leaseId, 'lease');
    assert.equal(queue.failureCount('lease'), 0);
  });

  test('unrecoverable error gives up at once', async () => {
    const { queue, gaveUp, retries } = harness(async () => {
      throw badRequest('unknown role "readonly"');
    });
    queue.enqueue(['lease']);
    await queue.whenIdle();
    assert.deepEqual(retries, []);
    assert.deepEqual(gaveUp, [['lease', 'unknown role "readonly"', 1]]);
  });

  test('stopped queue drops waiting work', async () => {
    const { queue, revoked } = harness(async () => undefined, 1);
    queue.stop();
    queue.enqueue(['a', 'b']);
    await queue.whenIdle();
    assert.deepEqual(revoked, []);
  });
});
