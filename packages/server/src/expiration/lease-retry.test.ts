import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { systemTimers } from './expiry-schedule.js';
import { leaseEnvironment, type LeaseEnvironment } from './test-support.js';

const REFUSED = 'connection to the database was refused';
const DAY_MS = 24 * 3600 * 1000;

async function advance(env: LeaseEnvironment, ms: number): Promise<void> {
  env.clock.advance(ms);
  await env.manager.whenIdle();
}

/** Issues a `flaky` lease with a 60 s TTL whose revocation fails `failures` times, then lets it expire. */
async function expireFlaky(env: LeaseEnvironment, failures: number): Promise<string> {
  const lease = await env.issue('db/flaky/alice', { ttl: 60 });
  env.log.flakyFailuresLeft = failures;
  await advance(env, 60_000);
  return lease.leaseId;
}

describe('revocation retry', () => {
  test('failed revocation retries with backoff', async () => {
    const env = await leaseEnvironment();
    const leaseId = await expireFlaky(env, 2);
    assert.equal(env.log.flakyFailuresLeft, 1);

    await advance(env, 999);
    assert.equal(env.log.flakyFailuresLeft, 1);
    await advance(env, 1);
    assert.equal(env.log.flakyFailuresLeft, 0);
    await advance(env, 1999);
    assert.deepEqual(env.log.revoked, []);
    await advance(env, 1);
    assert.deepEqual(env.log.revoked, ['alice']);

    const warnings = env.logger.withMessage('failed to revoke lease; retrying');
    assert.deepEqual(warnings.map((record) => [record.fields.leaseId, record.fields.attempt, record.fields.retryInMs]), [
      [leaseId, 1, 1000],
      [leaseId, 2, 2000],
    ]);
    assert.equal((warnings[0].fields.err as Error).message, `failed to revoke lease "${leaseId}": ${REFUSED}`);
  });

  test('irrevocable after last attempt', async () => {
    const env = await leaseEnvironment();
    const leaseId = await expireFlaky(env, 100);
    await advance(env, 1000);
    await advance(env, 2000);
    await advance(env, 4000);
    assert.equal(env.log.flakyFailuresLeft, 96);

    const errors = env.logger.withMessage('failed to revoke lease; marking it irrevocable');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].level, 'error');
    assert.equal(errors[0].fields.leaseId, leaseId);
    assert.equal(errors[0].fields.attempts, 4);

    const stored = JSON.parse((await env.barrier.get(`sys/expire/id/${leaseId}`))!.value.toString());
    assert.equal(stored.revokeError, `out of retries: failed to revoke lease "${leaseId}": ${REFUSED}`);
    assert.deepEqual(env.manager.irrevocableCounts(), { lease_count: 1, counts: { test_1a2b3c4d: 1 } });
    assert.deepEqual(env.manager.irrevocableLeases(), {
      leases: [{ lease_id: leaseId, mount_id: 'test_1a2b3c4d', error: stored.revokeError }],
      total: 1,
    });
    await assert.rejects(env.manager.renew(leaseId, 60), { status: 400, message: 'lease is expired and has failed previous revocation attempts' });

    // No more attempts until the daily retry.
    await advance(env, 60 * 60 * 1000);
    assert.equal(env.log.flakyFailuresLeft, 96);
  });

  test('irrevocable lease retried after a day', async () => {
    const env = await leaseEnvironment();
    const leaseId = await expireFlaky(env, 4);
    await advance(env, 1000);
    await advance(env, 2000);
    await advance(env, 4000);
    assert.equal(env.manager.irrevocableCounts().lease_count, 1);

    await advance(env, DAY_MS);
    assert.deepEqual(env.log.revoked, ['alice']);
    assert.equal(await env.manager.lookup(leaseId), null);
    assert.equal(env.manager.irrevocableCounts().lease_count, 0);
  });

  test('irrevocable mark survives restart', async () => {
    const env = await leaseEnvironment();
    const leaseId = await expireFlaky(env, 100);
    await advance(env, 1000);
    await advance(env, 2000);
    await advance(env, 4000);
    env.manager.teardown();

    const restarted = env.restart();
    await restarted.setup();
    assert.deepEqual(restarted.irrevocableLeases().leases.map((lease) => lease.lease_id), [leaseId]);
    env.clock.advance(0);
    await restarted.whenIdle();
    assert.equal(env.log.flakyFailuresLeft, 96);
  });

  test('queued revoke keeps irrevocable mark', async () => {
    const env = await leaseEnvironment();
    const leaseId = await expireFlaky(env, 100);
    await advance(env, 1000);
    await advance(env, 2000);
    await advance(env, 4000);

    assert.equal(await env.manager.revokeLater(leaseId), true);
    await advance(env, 0);
    assert.equal(env.log.flakyFailuresLeft, 96);
    assert.equal(env.manager.irrevocableCounts().lease_count, 1);
  });

  test('force revoke clears irrevocable lease', async () => {
    const env = await leaseEnvironment();
    const leaseId = await expireFlaky(env, 100);
    await advance(env, 1000);
    await advance(env, 2000);
    await advance(env, 4000);

    await env.manager.revokePrefix('db/flaky/', true);
    assert.equal(await env.manager.lookup(leaseId), null);
    assert.deepEqual(env.manager.irrevocableCounts(), { lease_count: 0, counts: {} });
  });

  test('removed mount makes lease irrevocable', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 60 });
    env.mounts.delete('db/');
    await advance(env, 60_000);

    assert.deepEqual(env.logger.withMessage('failed to revoke lease; retrying'), []);
    assert.deepEqual(env.manager.irrevocableLeases().leases, [
      {
        lease_id: lease.leaseId,
        mount_id: 'mount-accessor-not-found',
        error: `failed to revoke lease "${lease.leaseId}": no handler for route "db/creds/alice": the mount was disabled or moved`,
      },
    ]);
  });

  test('real timers revoke and retry', async () => {
    const env = await leaseEnvironment({ now: Date.now, timers: systemTimers, retry: { baseDelayMs: 20, maxDelayMs: 20, maxAttempts: 4, jitter: 0 } });
    const issuedAt = Date.now();
    const lease = await env.issue('db/flaky/alice', { ttl: 1 });
    env.log.flakyFailuresLeft = 1;

    const deadline = issuedAt + 3000;
    while (env.log.revoked.length === 0 && Date.now() < deadline) await sleep(10);
    assert.deepEqual(env.log.revoked, ['alice']);
    assert.ok(Date.now() - issuedAt >= 1000, 'revoked before the TTL ran out');
    assert.equal(await env.manager.lookup(lease.leaseId), null);
    env.manager.teardown();
  });
});
