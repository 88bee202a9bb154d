import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const TOKEN = 'root-test-token';
/** The dev server's default and max lease TTL: 768 hours. */
const SERVER_TTL = 2764800;

describe('sys/mounts/:path/tune', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(TOKEN);
  });
  after(() => server.close());

  test('read reports effective lease TTLs', async () => {
    await api(server, 'POST', 'sys/mounts/plain', { token: TOKEN, body: { type: 'kv' } });
    await api(server, 'POST', 'sys/mounts/hourly', { token: TOKEN, body: { type: 'kv', config: { default_lease_ttl: '1h' } } });

    const plain = await api(server, 'GET', 'sys/mounts/plain/tune', { token: TOKEN });
    const hourly = await api(server, 'GET', 'sys/mounts/hourly/tune', { token: TOKEN });

    assert.equal(plain.status, 200);
    assert.equal(plain.body.data.default_lease_ttl, SERVER_TTL);
    assert.equal(plain.body.data.max_lease_ttl, SERVER_TTL);
    assert.equal(hourly.body.data.default_lease_ttl, 3600);
    assert.equal(hourly.body.data.max_lease_ttl, SERVER_TTL);
    // The mount listing reports the stored TTLs, where 0 means the server's.
    const mount = await api(server, 'GET', 'sys/mounts/plain', { token: TOKEN });
    assert.deepEqual(mount.body.data.config, { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 });
  });

  test('read of built-in mounts', async () => {
    const token = await api(server, 'GET', 'sys/auth/token/tune', { token: TOKEN });
    assert.equal(token.status, 200);
    assert.deepEqual(token.body.data, {
      default_lease_ttl: SERVER_TTL,
      description: 'token based credentials',
      force_no_cache: false,
      max_lease_ttl: SERVER_TTL,
      options: null,
      token_type: 'default-service',
    });
    for (const path of ['sys', 'cubbyhole', 'identity']) {
      const tune = await api(server, 'GET', `sys/mounts/${path}/tune`, { token: TOKEN });
      assert.equal(tune.status, 200, path);
      assert.equal(tune.body.data.max_lease_ttl, SERVER_TTL, path);
      const mount = await api(server, 'GET', `sys/mounts/${path}`, { token: TOKEN });
      assert.equal(mount.status, 200, path);
      assert.equal(mount.body.data.type, path === 'sys' ? 'system' : path);
    }
    const tokenMount = await api(server, 'GET', 'sys/auth/token', { token: TOKEN });
    assert.equal(tokenMount.body.data.type, 'token');
  });

  test('tune of built-in mount rejected', async () => {
    const response = await api(server, 'POST', 'sys/mounts/cubbyhole/tune', { token: TOKEN, body: { max_lease_ttl: '1h' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['cannot tune "cubbyhole/": tuning a built-in mount is not supported']);
  });

  test('mount max above server max allowed', async () => {
    const enabled = await api(server, 'POST', 'sys/mounts/decade', { token: TOKEN, body: { type: 'kv', config: { max_lease_ttl: '87600h' } } });
    assert.equal(enabled.status, 204);
    const tune = await api(server, 'GET', 'sys/mounts/decade/tune', { token: TOKEN });
    assert.equal(tune.body.data.max_lease_ttl, 315360000);
  });

  test('enable rejects default above server max', async () => {
    const response = await api(server, 'POST', 'sys/mounts/too-long', { token: TOKEN, body: { type: 'kv', config: { default_lease_ttl: '999h' } } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, [
      'default lease TTL of 3596400s would exceed the server\'s max lease TTL of 2764800s: lower "config.default_lease_ttl" or set "config.max_lease_ttl"',
    ]);
    assert.equal((await api(server, 'GET', 'sys/mounts', { token: TOKEN })).body.data['too-long/'], undefined);
  });

  test('enable rejects default above max', async () => {
    const response = await api(server, 'POST', 'sys/mounts/upside', { token: TOKEN, body: { type: 'kv', config: { default_lease_ttl: '3h', max_lease_ttl: '1h' } } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['default lease TTL of 10800s would exceed the max lease TTL of 3600s: lower "config.default_lease_ttl" or raise "config.max_lease_ttl"']);
  });

  test('tune rejects max below default', async () => {
    await api(server, 'POST', 'sys/mounts/three-hours', { token: TOKEN, body: { type: 'kv', config: { default_lease_ttl: '3h' } } });

    const response = await api(server, 'POST', 'sys/mounts/three-hours/tune', { token: TOKEN, body: { max_lease_ttl: '30m' } });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['default lease TTL of 10800s would exceed the max lease TTL of 1800s: lower "default_lease_ttl" or raise "max_lease_ttl"']);
    const tune = await api(server, 'GET', 'sys/mounts/three-hours/tune', { token: TOKEN });
    assert.equal(tune.body.data.default_lease_ttl, 10800);
    assert.equal(tune.body.data.max_lease_ttl, SERVER_TTL);
    // Lowering both in one request is valid.
    const both = await api(server, 'POST', 'sys/mounts/three-hours/tune', { token: TOKEN, body: { max_lease_ttl: '30m', default_lease_ttl: '10m' } });
    assert.equal(both.status, 204);
  });

  test('tune rejects default above server max', async () => {
    await api(server, 'POST', 'sys/auth/tuned-up', { token: TOKEN, body: { type: 'userpass' } });
    const response = await api(server, 'POST', 'sys/auth/tuned-up/tune', { token: TOKEN, body: { default_lease_ttl: '999h' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, [
      'default lease TTL of 3596400s would exceed the server\'s max lease TTL of 2764800s: lower "default_lease_ttl" or set "max_lease_ttl"',
    ]);
  });

  test('tune to system resets TTL', async () => {
    await api(server, 'POST', 'sys/mounts/hourly/tune', { token: TOKEN, body: { default_lease_ttl: 'system' } });
    const tune = await api(server, 'GET', 'sys/mounts/hourly/tune', { token: TOKEN });
    assert.equal(tune.body.data.default_lease_ttl, SERVER_TTL);
  });

  test('tune resets listing visibility', async () => {
    await api(server, 'POST', 'sys/mounts/shown', { token: TOKEN, body: { type: 'kv', config: { listing_visibility: 'unauth' } } });

    const reset = await api(server, 'POST', 'sys/mounts/shown/tune', { token: TOKEN, body: { listing_visibility: '' } });

    assert.equal(reset.status, 204);
    const tune = await api(server, 'GET', 'sys/mounts/shown/tune', { token: TOKEN });
    assert.equal(tune.body.data.listing_visibility, undefined);
  });

  test('tune reaches a running backend', async () => {
    await api(server, 'POST', 'sys/auth/long-roles', { token: TOKEN, body: { type: 'approle' } });
    await api(server, 'POST', 'sys/auth/long-roles/tune', { token: TOKEN, body: { max_lease_ttl: '8760h' } });

    // The role's max is above the server's but below the tuned mount's, so approle has no warning.
    const role = await api(server, 'POST', 'auth/long-roles/role/builder', { token: TOKEN, body: { token_max_ttl: '1000h' } });

    assert.equal(role.status, 204);
    assert.equal(role.body, null);
  });

  test('tune without TTLs skips TTL check', async () => {
    await api(server, 'POST', 'sys/mounts/legacy', { token: TOKEN, body: { type: 'kv' } });
    // A table entry saved before TTLs were checked, with its default above its max.
    await server.core.mounts.tune('legacy', { config: { defaultLeaseTtl: 7200, maxLeaseTtl: 3600 } });

    const described = await api(server, 'POST', 'sys/mounts/legacy/tune', { token: TOKEN, body: { description: 'still tunable' } });
    const lowered = await api(server, 'POST', 'sys/mounts/legacy/tune', { token: TOKEN, body: { max_lease_ttl: '1800' } });

    assert.equal(described.status, 204);
    assert.equal(lowered.status, 400);
    assert.deepEqual(lowered.body.errors, ['default lease TTL of 7200s would exceed the max lease TTL of 1800s: lower "default_lease_ttl" or raise "max_lease_ttl"']);
  });
});
