import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backend, type Request } from '@coffer/sdk';
import { leasePaths } from './path-leases.js';
import { leaseEnvironment, START_TIME, sysRequest, type LeaseEnvironment } from './test-support.js';

interface Sys {
  env: LeaseEnvironment;
  send(operation: Request['operation'], path: string, data?: Record<string, unknown>): ReturnType<Backend['handleRequest']>;
}

async function sysBackend(): Promise<Sys> {
  const env = await leaseEnvironment();
  const backend = new Backend({ backendType: 'logical', help: 'sys', paths: leasePaths(env.manager) });
  return { env, send: (operation, path, data = {}) => backend.handleRequest(sysRequest(operation, path, data, env.barrier)) };
}

function at(seconds: number): string {
  return new Date(START_TIME + seconds * 1000).toISOString();
}

describe('sys/leases/lookup', () => {
  test('lookup returns Vault fields', async () => {
    const { env, send } = await sysBackend();
    const lease = await env.issue('db/creds/alice', { ttl: 600 });
    const response = await send('update', 'leases/lookup', { lease_id: lease.leaseId });
    assert.deepEqual(response, {
      data: { id: lease.leaseId, issue_time: at(0), expire_time: at(600), last_renewal: null, renewable: true, ttl: 600 },
    });
  });

  test('lookup without lease_id fails', async () => {
    const { send } = await sysBackend();
    await assert.rejects(send('update', 'leases/lookup', {}), {
      status: 400,
      message: 'missing required field "lease_id": set it to the ID of the lease to look up',
    });
  });

  test('lookup of unknown lease fails', async () => {
    const { send } = await sysBackend();
    await assert.rejects(send('update', 'leases/lookup', { lease_id: 'db/creds/alice/nope' }), { status: 400, message: 'invalid lease' });
  });

  test('lookup rejects unknown field', async () => {
    const { send } = await sysBackend();
    await assert.rejects(send('update', 'leases/lookup', { leaseid: 'x' }), { status: 400, message: 'unknown field "leaseid"' });
  });

  test('list returns keys under prefix', async () => {
    const { env, send } = await sysBackend();
    await env.issue('db/creds/alice');
    await env.issue('db/creds/bob');
    assert.deepEqual(await send('list', 'leases/lookup/'), { data: { keys: ['db/'] } });
    assert.deepEqual(await send('list', 'leases/lookup/db/creds/'), { data: { keys: ['alice/', 'bob/'] } });
  });

  test('empty list returns nothing', async () => {
    const { send } = await sysBackend();
    assert.equal(await send('list', 'leases/lookup/db/creds/'), null);
  });

  test('list rejects parent segment', async () => {
    const { send } = await sysBackend();
    await assert.rejects(send('list', 'leases/lookup/db/../'), {
      status: 400,
      message: 'invalid lease prefix "db/../": it must not contain empty, "." or ".." segments',
    });
  });
});

describe('sys/leases/renew', () => {
  test('renew returns lease and duration', async () => {
    const { env, send } = await sysBackend();
    const lease = await env.issue('db/creds/alice', { ttl: 600 });
    const response = await send('update', 'leases/renew', { lease_id: lease.leaseId, increment: '30m' });
    assert.deepEqual(response, {
      data: null,
      secret: { ttl: 1800, maxTtl: 0, renewable: true, internalData: {}, passthrough: true, leaseId: lease.leaseId },
    });
  });

  test('renew reads ID from path', async () => {
    const { env, send } = await sysBackend();
    const lease = await env.issue('db/creds/alice', { ttl: 600 });
    const response = await send('update', `renew/${lease.leaseId}`, { increment: 60 });
    assert.equal(response?.secret?.ttl, 60);
    assert.equal(response?.secret?.leaseId, lease.leaseId);
  });

  test('capped renew carries warning', async () => {
    const { env, send } = await sysBackend();
    const lease = await env.issue('db/creds/alice', { ttl: 60, maxTtl: 120 });
    const response = await send('update', `leases/renew/${lease.leaseId}`, { increment: 3600 });
    assert.equal(response?.secret?.ttl, 120);
    assert.deepEqual(response?.warnings, ['TTL of "1h0m0s" exceeded the effective max_ttl of "2m0s"; TTL value is capped accordingly']);
  });

  test('renew rejects bad increment', async () => {
    const { env, send } = await sysBackend();
    const lease = await env.issue('db/creds/alice', { ttl: 60 });
    await assert.rejects(send('update', 'leases/renew', { lease_id: lease.leaseId, increment: 'soon' }), {
      status: 400,
      message: 'invalid field "increment": expected a duration such as 30, "30s", "90m" or "1h", got "soon"',
    });
    assert.equal((await env.manager.lookup(lease.leaseId))?.ttl, 60);
  });

  test('renew without lease ID fails', async () => {
    const { send } = await sysBackend();
    await assert.rejects(send('update', 'leases/renew', {}), {
      status: 400,
      message: 'missing required field "lease_id": set it in the body or append the lease ID to the path, e.g. sys/leases/renew/<lease id>',
    });
  });

  test('renew of unknown lease fails', async () => {
    const { send } = await sysBackend();
    await assert.rejects(send('update', 'leases/renew', { lease_id: 'db/creds/alice/nope' }), { status: 400, message: 'lease not found' });
  });
});

describe('sys/leases/revoke', () => {
  test('revoke revokes before responding', async () => {
    const { env, send } = await sysBackend();
    const lease = await env.issue('db/creds/alice');
    assert.equal(await send('update', 'leases/revoke', { lease_id: lease.leaseId }), null);
    assert.deepEqual(env.log.revoked, ['alice']);
  });

  test('revoke reads ID from path', async () => {
    const { env, send } = await sysBackend();
    const lease = await env.issue('db/creds/alice');
    assert.equal(await send('update', `revoke/${lease.leaseId}`), null);
    assert.deepEqual(env.log.revoked, ['alice']);
  });

  test('revoke without sync returns 202', async () => {
    const { env, send } = await sysBackend();
    const lease = await env.issue('db/creds/alice');
    const response = await send('update', 'leases/revoke', { lease_id: lease.leaseId, sync: false });
    assert.deepEqual(response, { raw: { status: 202, contentType: 'application/json', body: '' } });
    assert.deepEqual(env.log.revoked, []);
    env.clock.advance(0);
    await env.manager.whenIdle();
    assert.deepEqual(env.log.revoked, ['alice']);
  });

  test('revoke of unknown lease succeeds', async () => {
    const { send } = await sysBackend();
    assert.equal(await send('update', 'leases/revoke', { lease_id: 'db/creds/alice/nope' }), null);
  });

  test('revoke-prefix revokes under prefix', async () => {
    const { env, send } = await sysBackend();
    await env.issue('db/creds/alice');
    await env.issue('db/cert/bob');
    assert.equal(await send('update', 'leases/revoke-prefix/db/creds'), null);
    assert.deepEqual(env.log.revoked, ['alice']);
    assert.equal(await send('update', 'revoke-prefix/db/cert/'), null);
    assert.deepEqual(env.log.revoked, ['alice', 'bob']);
  });

  test('revoke-prefix reports backend failure', async () => {
    const { env, send } = await sysBackend();
    const lease = await env.issue('db/flaky/alice');
    env.log.flakyFailuresLeft = 1;
    await assert.rejects(send('update', 'leases/revoke-prefix/db/flaky/'), {
      status: 500,
      message: `failed to revoke lease "${lease.leaseId}": connection to the database was refused (1 / 1)`,
    });
  });

  test('revoke-force ignores backend failures', async () => {
    const { env, send } = await sysBackend();
    const lease = await env.issue('db/flaky/alice');
    env.log.flakyFailuresLeft = 1;
    assert.equal(await send('update', 'leases/revoke-force/db/flaky/'), null);
    assert.equal(await env.manager.lookup(lease.leaseId), null);
  });
});

describe('sys/leases admin', () => {
  test('tidy returns 202 with warning', async () => {
    const { send } = await sysBackend();
    const response = await send('update', 'leases/tidy');
    assert.equal(response?.raw?.status, 202);
    assert.deepEqual(JSON.parse(String(response?.raw?.body)), {
      request_id: 'sys-request',
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: null,
      warnings: ['Tidy operation successfully started. Its results are written to the server log.'],
      auth: null,
    });
  });

  test('count and list report irrevocable', async () => {
    const { env, send } = await sysBackend();
    const lease = await env.issue('db/creds/alice', { ttl: 60 });
    env.mounts.delete('db/');
    env.clock.advance(60_000);
    await env.manager.whenIdle();

    assert.deepEqual(await send('read', 'leases/count', { type: 'irrevocable' }), {
      data: { lease_count: 1, counts: { 'mount-accessor-not-found': 1 } },
    });
    const listed = await send('read', 'leases', { type: 'IRREVOCABLE' });
    assert.deepEqual(listed?.data?.lease_count, 1);
    assert.deepEqual((listed?.data?.leases as Array<{ lease_id: string }>).map((item) => item.lease_id), [lease.leaseId]);
  });

  test('list applies limit with warning', async () => {
    const { env, send } = await sysBackend();
    await env.issue('db/creds/alice', { ttl: 60 });
    await env.issue('db/creds/bob', { ttl: 60 });
    env.mounts.delete('db/');
    env.clock.advance(60_000);
    await env.manager.whenIdle();

    const limited = await send('read', 'leases', { type: 'irrevocable', limit: '1' });
    assert.equal(limited?.data?.lease_count, 1);
    assert.deepEqual(limited?.warnings, ['listed 1 of 2 irrevocable leases; set "limit" to "none" to list them all']);
    const all = await send('read', 'leases', { type: 'irrevocable', limit: 'none' });
    assert.equal(all?.data?.lease_count, 2);
    assert.equal(all?.warnings, undefined);
  });

  test('count rejects other types', async () => {
    const { send } = await sysBackend();
    await assert.rejects(send('read', 'leases/count', { type: 'expired' }), {
      status: 400,
      message: 'invalid field "type" "expired": only "irrevocable" is supported',
    });
    await assert.rejects(send('read', 'leases/count', {}), { status: 400, message: 'missing required field "type"' });
  });

  test('list rejects bad limit', async () => {
    const { send } = await sysBackend();
    await assert.rejects(send('read', 'leases', { type: 'irrevocable', limit: '0' }), {
      status: 400,
      message: 'invalid field "limit" "0": use a positive integer or "none"',
    });
  });
});
