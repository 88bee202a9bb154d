import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { leaseEnvironment, START_TIME } from './test-support.js';

function at(seconds: number): string {
  return new Date(START_TIME + seconds * 1000).toISOString();
}

describe('restart', () => {
  test('restart keeps lease expiry time', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 600 });
    env.clock.advance(100_000);
    env.manager.teardown();

    const restarted = env.restart();
    await restarted.setup();
    assert.equal((await restarted.lookup(lease.leaseId))?.expire_time, at(600));

    env.clock.advance(499_999);
    await restarted.whenIdle();
    assert.deepEqual(env.log.revoked, []);
    env.clock.advance(1);
    await restarted.whenIdle();
    assert.deepEqual(env.log.revoked, ['alice']);
  });

  test('overdue lease is revoked after setup', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 60 });
    await env.issue('db/creds/bob', { ttl: 600 });
    env.manager.teardown();
    env.clock.advance(120_000);
    assert.deepEqual(env.log.revoked, []);

    const restarted = env.restart();
    await restarted.setup();
    env.clock.advance(0);
    await restarted.whenIdle();
    assert.deepEqual(env.log.revoked, ['alice']);
    assert.equal(await restarted.lookup(lease.leaseId), null);

    const restored = env.logger.withMessage('leases restored');
    assert.deepEqual(restored[restored.length - 1].fields, { restored: 2, overdue: 1, irrevocable: 0, failed: 0 });
  });

  test('token expiry survives restart', async () => {
    const env = await leaseEnvironment();
    await env.manager.registerAuth('salted-1', 'auth/token/create', 30);
    env.manager.teardown();
    const restarted = env.restart();
    await restarted.setup();

    env.clock.advance(30_000);
    await restarted.whenIdle();
    assert.deepEqual(env.revokedTokens, ['salted-1']);
  });

  test('teardown stops timers, revokes nothing', async () => {
    const env = await leaseEnvironment();
    await env.issue('db/creds/alice', { ttl: 60 });
    env.manager.teardown();
    assert.equal(env.clock.pendingTimers, 0);
    env.clock.advance(120_000);
    await env.manager.whenIdle();
    assert.deepEqual(env.log.revoked, []);
  });

  test('setup skips a corrupt lease', async () => {
    const env = await leaseEnvironment();
    await env.barrier.put({ key: 'sys/expire/id/db/creds/bad/x', value: Buffer.from('not json') });
    await env.issue('db/creds/alice', { ttl: 60 });
    env.manager.teardown();

    const restarted = env.restart();
    await restarted.setup();
    const errors = env.logger.withMessage('failed to load lease; it is not scheduled');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].fields.leaseId, 'db/creds/bad/x');
    assert.equal((errors[0].fields.err as Error).message, 'lease entry "db/creds/bad/x" is not valid JSON');

    env.clock.advance(60_000);
    await restarted.whenIdle();
    assert.deepEqual(env.log.revoked, ['alice']);
  });

  test('setup on sealed barrier fails', async () => {
    const env = await leaseEnvironment();
    env.manager.teardown();
    env.barrier.seal();
    const restarted = env.restart();
    await assert.rejects(restarted.setup(), { status: 503, message: 'Vault is sealed' });
    await assert.rejects(restarted.lookup('db/creds/alice/x'), { status: 503 });
  });

  test('setup twice keeps one schedule', async () => {
    const env = await leaseEnvironment();
    await env.issue('db/creds/alice', { ttl: 60 });
    await env.manager.setup();
    assert.equal(env.clock.pendingTimers, 1);
  });
});
