import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { leaseEnvironment, SERVER_DEFAULT_TTL, SERVER_MAX_TTL, START_TIME, type LeaseEnvironment } from './test-support.js';

const LEASE_ID = /^db\/creds\/alice\/[0-9A-Za-z]{24}$/;

function at(seconds: number): string {
  return new Date(START_TIME + seconds * 1000).toISOString();
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Advances the clock and waits for the revocations that fell due. */
async function advance(env: LeaseEnvironment, ms: number): Promise<void> {
  env.clock.advance(ms);
  await env.manager.whenIdle();
}

describe('register', () => {
  test('register grants the backend TTL', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 600 });
    assert.match(lease.leaseId, LEASE_ID);
    assert.equal(lease.ttl, 600);
    assert.equal(lease.renewable, true);
    assert.deepEqual(await env.manager.lookup(lease.leaseId), {
      id: lease.leaseId,
      issue_time: at(0),
      expire_time: at(600),
      last_renewal: null,
      renewable: true,
      ttl: 600,
    });
  });

  test('register falls back to defaults', async () => {
    const env = await leaseEnvironment();
    env.tune.defaultTtl = 120;
    assert.equal((await env.issue('db/creds/alice')).ttl, 120);
    env.tune.defaultTtl = 0;
    assert.equal((await env.issue('db/creds/alice')).ttl, SERVER_DEFAULT_TTL);
  });

  test('register caps at max TTLs', async () => {
    const env = await leaseEnvironment();
    env.tune.maxTtl = 300;
    assert.equal((await env.issue('db/creds/alice', { ttl: 600 })).ttl, 300);
    env.tune.maxTtl = 0;
    assert.equal((await env.issue('db/creds/alice', { maxTtl: 90 })).ttl, 90);
    assert.equal((await env.issue('db/creds/alice', { ttl: 100000 })).ttl, SERVER_MAX_TTL);
  });

  test('register stores the lease encrypted', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { token: 'salted-token-1' });

    const raw = await env.physical.get(`sys/expire/id/${lease.leaseId}`);
    assert.ok(raw !== null);
    assert.equal(raw.value.includes(Buffer.from('pw-alice')), false);
    const stored = JSON.parse((await env.barrier.get(`sys/expire/id/${lease.leaseId}`))!.value.toString());
    assert.deepEqual(stored.data, { username: 'alice', password: 'pw-alice' });
    assert.equal(stored.clientTokenId, 'salted-token-1');
  });

  test('register indexes lease by token', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { token: 'salted-token-1' });
    assert.equal(lease.leaseId.includes('salted-token-1'), false);
    assert.deepEqual(await env.barrier.list('sys/expire/token/salted-token-1/'), [sha256(lease.leaseId)]);
  });

  test('register rejects invalid backend TTL', async () => {
    const env = await leaseEnvironment();
    await assert.rejects(env.manager.register({ path: 'db/creds/alice', clientTokenId: '' }, { ttl: -5, maxTtl: 0, renewable: true, internalData: {} }), {
      status: 500,
      message: 'backend at "db/creds/alice" returned an invalid lease ttl -5: expected whole seconds',
    });
    assert.deepEqual(await env.manager.list(''), []);
  });

  test('register fails for unmounted path', async () => {
    const env = await leaseEnvironment();
    await assert.rejects(env.manager.register({ path: 'nowhere/creds', clientTokenId: '' }, { ttl: 60, maxTtl: 0, renewable: true, internalData: {} }), {
      status: 500,
      message: 'cannot register a lease for "nowhere/creds": no mount serves it',
    });
  });

  test('register fails while torn down', async () => {
    const env = await leaseEnvironment();
    env.manager.teardown();
    await assert.rejects(env.issue('db/creds/alice'), { status: 503, message: 'Vault is sealed' });
  });
});

describe('expiry', () => {
  test('lease is revoked at expiry', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 60, token: 't1' });

    await advance(env, 59_999);
    assert.deepEqual(env.log.revoked, []);
    await advance(env, 1);
    assert.deepEqual(env.log.revoked, ['alice']);
    assert.equal(await env.manager.lookup(lease.leaseId), null);
    assert.deepEqual(await env.barrier.list('sys/expire/token/t1/'), []);
    assert.deepEqual(env.logger.withMessage('revoked lease').map((record) => record.fields.leaseId), [lease.leaseId]);
  });

  test('auth lease revokes its token', async () => {
    const env = await leaseEnvironment();
    await env.manager.registerAuth('salted-1', 'auth/token/create', 30);
    assert.deepEqual(await env.manager.list('auth/token/create/'), [sha256('salted-1')]);

    await advance(env, 29_999);
    assert.deepEqual(env.revokedTokens, []);
    await advance(env, 1);
    assert.deepEqual(env.revokedTokens, ['salted-1']);
    assert.deepEqual(await env.manager.list('auth/token/create/'), []);
    assert.deepEqual(await env.barrier.list('sys/expire/auth/'), []);
  });

  test('updateAuthExpiry moves token expiry', async () => {
    const env = await leaseEnvironment();
    await env.manager.registerAuth('salted-1', 'auth/token/create', 30);
    await advance(env, 20_000);
    await env.manager.updateAuthExpiry('salted-1', 30);

    await advance(env, 29_999);
    assert.deepEqual(env.revokedTokens, []);
    await advance(env, 1);
    assert.deepEqual(env.revokedTokens, ['salted-1']);
  });

  test('updateAuthExpiry without lease fails', async () => {
    const env = await leaseEnvironment();
    await assert.rejects(env.manager.updateAuthExpiry('salted-unknown', 30), {
      status: 400,
      message: 'invalid lease ID: the token has no lease to renew',
    });
  });

  test('zero-TTL auth lease never expires', async () => {
    const env = await leaseEnvironment();
    await env.manager.registerAuth('salted-root', 'auth/token/root', 0);
    const leaseId = `auth/token/root/${sha256('salted-root')}`;
    await advance(env, 400 * 24 * 3600 * 1000);
    assert.deepEqual(env.revokedTokens, []);
    assert.deepEqual(await env.manager.lookup(leaseId), {
      id: leaseId,
      issue_time: at(0),
      expire_time: null,
      last_renewal: null,
      renewable: false,
      ttl: 0,
    });
  });
});

describe('renew', () => {
  test('renew extends by increment', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 600 });
    await advance(env, 100_000);

    const renewed = await env.manager.renew(lease.leaseId, 1200);
    assert.deepEqual(renewed, { leaseId: lease.leaseId, ttl: 1200, renewable: true, warnings: [] });
    assert.deepEqual(env.log.renewals, [{ leaseId: lease.leaseId, increment: 1200, ttl: 600 }]);
    const lookup = await env.manager.lookup(lease.leaseId);
    assert.equal(lookup?.last_renewal, at(100));
    assert.equal(lookup?.expire_time, at(1300));

    await advance(env, 1_199_999);
    assert.deepEqual(env.log.revoked, []);
    await advance(env, 1);
    assert.deepEqual(env.log.revoked, ['alice']);
  });

  test('renew passes last renewal time', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 600 });
    await env.manager.renew(lease.leaseId, 0);
    await advance(env, 10_000);
    await env.manager.renew(lease.leaseId, 0);
    assert.equal(env.log.renewals[1].lastRenewalTime, at(0));
  });

  test('renew without increment keeps TTL', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 600 });
    assert.equal((await env.manager.renew(lease.leaseId, 0)).ttl, 600);
  });

  test('renew takes backend TTL', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 600 });
    env.log.renewWith = { ttl: 900, maxTtl: 0 };
    assert.equal((await env.manager.renew(lease.leaseId, 0)).ttl, 900);
  });

  test('renew past max TTL is capped', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 600, maxTtl: 1000 });
    await advance(env, 500_000);

    const renewed = await env.manager.renew(lease.leaseId, 3600);
    assert.equal(renewed.ttl, 500);
    assert.deepEqual(renewed.warnings, ['TTL of "1h0m0s" exceeded the effective max_ttl of "8m20s"; TTL value is capped accordingly']);
    assert.equal((await env.manager.lookup(lease.leaseId))?.expire_time, at(1000));
  });

  test('renew respects tuned mount max', async () => {
    const env = await leaseEnvironment();
    env.tune.maxTtl = 700;
    const lease = await env.issue('db/creds/alice', { ttl: 600 });
    const renewed = await env.manager.renew(lease.leaseId, 3600);
    assert.equal(renewed.ttl, 700);
  });

  test('renew of expired lease fails', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 60 });
    env.clock.skip(61_000);
    await assert.rejects(env.manager.renew(lease.leaseId, 60), { status: 400, message: 'lease expired' });
  });

  test('renew of non-renewable lease fails', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/cert/alice');
    assert.equal(lease.renewable, false);
    await assert.rejects(env.manager.renew(lease.leaseId, 60), { status: 400, message: 'lease is not renewable' });
    assert.deepEqual(env.log.renewals, []);
  });

  test('renew of unknown lease fails', async () => {
    const env = await leaseEnvironment();
    await assert.rejects(env.manager.renew('db/creds/alice/unknown', 60), { status: 400, message: 'lease not found' });
  });

  test('renew of token lease fails', async () => {
    const env = await leaseEnvironment();
    await env.manager.registerAuth('salted-1', 'auth/token/create', 30);
    await assert.rejects(env.manager.renew(`auth/token/create/${sha256('salted-1')}`, 60), {
      status: 400,
      message: 'tokens cannot be renewed through this endpoint',
    });
  });

  test('renew rejects negative increment', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice');
    await assert.rejects(env.manager.renew(lease.leaseId, -1), { status: 400, message: 'invalid increment -1: expected whole seconds, 0 or more' });
  });
});

describe('revoke', () => {
  test('revoke calls backend and deletes', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 60 });
    await env.manager.revoke(lease.leaseId);
    assert.deepEqual(env.log.revoked, ['alice']);
    assert.equal(await env.manager.lookup(lease.leaseId), null);

    await advance(env, 120_000);
    assert.deepEqual(env.log.revoked, ['alice']);
  });

  test('revoke of unknown lease succeeds', async () => {
    const env = await leaseEnvironment();
    await env.manager.revoke('db/creds/nobody/abc');
    assert.deepEqual(env.log.revoked, []);
  });

  test('revoke keeps lease on failure', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/flaky/alice');
    env.log.flakyFailuresLeft = 1;
    await assert.rejects(env.manager.revoke(lease.leaseId), {
      status: 500,
      message: `failed to revoke lease "${lease.leaseId}": connection to the database was refused`,
    });
    assert.notEqual(await env.manager.lookup(lease.leaseId), null);
  });

  test('revoke rejects malformed lease ID', async () => {
    const env = await leaseEnvironment();
    await assert.rejects(env.manager.revoke('db/../sys/x'), {
      status: 400,
      message: 'invalid lease ID "db/../sys/x": use the lease_id a response returned, such as "db/creds/readonly/<id>"',
    });
  });

  test('revokeLater queues the revocation', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/creds/alice', { ttl: 600 });
    assert.equal(await env.manager.revokeLater(lease.leaseId), true);
    assert.equal((await env.manager.lookup(lease.leaseId))?.expire_time, at(0));
    await advance(env, 0);
    assert.deepEqual(env.log.revoked, ['alice']);
    assert.equal(await env.manager.revokeLater(lease.leaseId), false);
  });
});

describe('revokePrefix', () => {
  test('revokePrefix revokes matching leases only', async () => {
    const env = await leaseEnvironment();
    await env.issue('db/creds/alice');
    await env.issue('db/creds/bob');
    const carol = await env.issue('db/cert/carol');

    await env.manager.revokePrefix('db/creds', false);
    assert.deepEqual(env.log.revoked.sort(), ['alice', 'bob']);
    assert.deepEqual(await env.manager.list('db/'), ['cert/']);
    assert.notEqual(await env.manager.lookup(carol.leaseId), null);
  });

  test('revokePrefix accepts an exact lease ID', async () => {
    const env = await leaseEnvironment();
    const alice = await env.issue('db/creds/alice');
    await env.issue('db/creds/alice');
    await env.manager.revokePrefix(alice.leaseId, false);
    assert.deepEqual(env.log.revoked, ['alice']);
    assert.equal((await env.manager.list('db/creds/alice/')).length, 1);
  });

  test('revokePrefix stops at failing lease', async () => {
    const env = await leaseEnvironment();
    const first = await env.issue('db/flaky/a');
    const second = await env.issue('db/flaky/b');
    env.log.flakyFailuresLeft = 1;
    await assert.rejects(env.manager.revokePrefix('db/flaky/', false), {
      status: 500,
      message: `failed to revoke lease "${first.leaseId}": connection to the database was refused (1 / 2)`,
    });
    assert.notEqual(await env.manager.lookup(first.leaseId), null);
    assert.notEqual(await env.manager.lookup(second.leaseId), null);
  });

  test('force revoke ignores backend failures', async () => {
    const env = await leaseEnvironment();
    const lease = await env.issue('db/flaky/a', { token: 't1' });
    env.log.flakyFailuresLeft = 5;
    await env.manager.revokePrefix('db/flaky/', true);
    assert.equal(await env.manager.lookup(lease.leaseId), null);
    assert.deepEqual(await env.barrier.list('sys/expire/token/t1/'), []);
    const warnings = env.logger.withMessage('backend failed to revoke the lease; force deletes it anyway');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].fields.leaseId, lease.leaseId);
  });

  test('revokePrefix without sync queues', async () => {
    const env = await leaseEnvironment();
    await env.issue('db/creds/alice');
    await env.manager.revokePrefix('db/creds/', false, false);
    assert.deepEqual(env.log.revoked, []);
    await advance(env, 0);
    assert.deepEqual(env.log.revoked, ['alice']);
  });

  test('revokePrefix rejects empty prefix', async () => {
    const env = await leaseEnvironment();
    await assert.rejects(env.manager.revokePrefix('', false), {
      status: 400,
      message: 'missing prefix: give the lease ID prefix to revoke, e.g. "db/creds/"',
    });
  });
});

describe('revokeByToken', () => {
  test('revokeByToken revokes only its leases', async () => {
    const env = await leaseEnvironment();
    await env.issue('db/creds/alice', { token: 't1' });
    const bob = await env.issue('db/creds/bob', { token: 't2' });
    await env.manager.registerAuth('t1', 'auth/token/create', 3600);

    await env.manager.revokeByToken('t1');
    await advance(env, 0);
    assert.deepEqual(env.log.revoked, ['alice']);
    assert.notEqual(await env.manager.lookup(bob.leaseId), null);
    assert.deepEqual(await env.barrier.list('sys/expire/token/t1/'), []);
  });

  test('revokeByToken deletes the auth lease', async () => {
    const env = await leaseEnvironment();
    await env.manager.registerAuth('t1', 'auth/token/create', 3600);
    await env.manager.revokeByToken('t1');
    assert.equal(await env.manager.lookup(`auth/token/create/${sha256('t1')}`), null);
    assert.deepEqual(await env.barrier.list('sys/expire/auth/'), []);
    await advance(env, 4000_000);
    assert.deepEqual(env.revokedTokens, []);
  });
});

describe('list', () => {
  test('list returns folders and IDs', async () => {
    const env = await leaseEnvironment();
    const alice = await env.issue('db/creds/alice');
    await env.issue('db/creds/bob');
    assert.deepEqual(await env.manager.list(''), ['db/']);
    assert.deepEqual(await env.manager.list('db/creds'), ['alice/', 'bob/']);
    assert.deepEqual(await env.manager.list('db/creds/alice/'), [alice.leaseId.split('/')[3]]);
  });
});

describe('tidy', () => {
  test('tidy clears dangling entries', async () => {
    const env = await leaseEnvironment();
    const alice = await env.issue('db/creds/alice', { token: 't1' });
    await env.barrier.delete(`sys/expire/id/${alice.leaseId}`);
    env.mounts.set('kv/', { ...env.mounts.get('db/')!, mountPoint: 'kv/' });
    const zed = await env.manager.register({ path: 'kv/creds/zed', clientTokenId: '' }, { ttl: 60, maxTtl: 0, renewable: true, internalData: { secret_type: 'creds' } });
    env.mounts.delete('kv/');
    await env.manager.registerAuth('t9', 'auth/token/create', 60);
    await env.barrier.delete(`sys/expire/id/auth/token/create/${sha256('t9')}`);

    const report = await env.manager.tidy();
    assert.deepEqual(report, { scannedLeases: 1, unmountedLeases: 1, orphanedLeases: 0, danglingIndexEntries: 1, danglingAuthPointers: 1, errors: 0 });
    assert.equal(await env.manager.lookup(zed.leaseId), null);
    assert.deepEqual(await env.barrier.list('sys/expire/token/t1/'), []);
    assert.deepEqual(await env.barrier.list('sys/expire/auth/'), []);
    assert.deepEqual(env.log.revoked, []);
  });

  test('tidy revokes leases of deleted tokens', async () => {
    const env = await leaseEnvironment({ tokenExists: async (saltedTokenId) => saltedTokenId === 'alive' });
    await env.issue('db/creds/alice', { token: 'gone' });
    const bob = await env.issue('db/creds/bob', { token: 'alive' });
    const carol = await env.issue('db/creds/carol');

    const report = await env.manager.tidy();
    assert.equal(report.orphanedLeases, 1);
    assert.deepEqual(env.log.revoked, ['alice']);
    assert.notEqual(await env.manager.lookup(bob.leaseId), null);
    assert.notEqual(await env.manager.lookup(carol.leaseId), null);
  });
});
