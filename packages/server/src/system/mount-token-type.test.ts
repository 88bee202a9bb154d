import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-mount-token-type-test';

describe('token_type of auth mounts', () => {
  let server: RunningServer;

  const login = async (mount: string, user: string): Promise<{ type: string; status: number }> => {
    const response = await api(server, 'POST', `auth/${mount}/login/${user}`, { body: { password: 'correct horse' } });
    return { status: response.status, type: response.body?.auth?.token_type };
  };

  before(async () => {
    server = await startDevServer(ROOT);
  });
  after(async () => {
    await server.close();
  });

  test('mount default and override', async () => {
    assert.equal((await api(server, 'POST', 'sys/auth/up', { token: ROOT, body: { type: 'userpass', config: { token_type: 'default-batch' } } })).status, 204);
    for (const [user, tokenType] of [['plain', ''], ['svc', 'service']]) {
      const body: Record<string, unknown> = { password: 'correct horse' };
      if (tokenType !== '') body.token_type = tokenType;
      assert.equal((await api(server, 'POST', `auth/up/users/${user}`, { token: ROOT, body })).status, 204);
    }
    assert.equal((await login('up', 'plain')).type, 'batch', 'default-batch applies when the user sets no type');
    assert.equal((await login('up', 'svc')).type, 'service', 'a user with service overrides default-batch');

    const read = await api(server, 'GET', 'sys/auth/up/tune', { token: ROOT });
    assert.equal(read.body.data.token_type, 'default-batch');
    const listed = await api(server, 'GET', 'sys/auth', { token: ROOT });
    assert.equal(listed.body.data['up/'].config.token_type, 'default-batch');

    assert.equal((await api(server, 'POST', 'sys/auth/up/tune', { token: ROOT, body: { token_type: 'service' } })).status, 204);
    assert.equal((await login('up', 'plain')).type, 'service');
    assert.equal((await api(server, 'POST', 'sys/auth/up/tune', { token: ROOT, body: { token_type: 'batch' } })).status, 204);
    assert.equal((await login('up', 'svc')).type, 'batch', 'batch on the mount overrides the user');
  });

  test('new auth mount issues service tokens', async () => {
    assert.equal((await api(server, 'POST', 'sys/auth/plain', { token: ROOT, body: { type: 'userpass' } })).status, 204);
    assert.equal((await api(server, 'POST', 'auth/plain/users/u', { token: ROOT, body: { password: 'correct horse' } })).status, 204);
    assert.equal((await login('plain', 'u')).type, 'service');
    assert.equal((await api(server, 'GET', 'sys/auth/plain/tune', { token: ROOT })).body.data.token_type, 'default-service');
  });

  test('bad token_type changes nothing', async () => {
    const rejected = await api(server, 'POST', 'sys/auth/up/tune', { token: ROOT, body: { token_type: 'orphan' } });
    assert.equal(rejected.status, 400);
    assert.deepEqual(rejected.body.errors, ['invalid "config.token_type" "orphan": use "default-service", "default-batch", "service" or "batch"']);
    assert.equal((await api(server, 'GET', 'sys/auth/up/tune', { token: ROOT })).body.data.token_type, 'batch');

    const enable = await api(server, 'POST', 'sys/auth/other', { token: ROOT, body: { type: 'userpass', config: { token_type: 'both' } } });
    assert.equal(enable.status, 400);
    assert.deepEqual(enable.body.errors, ['invalid "config.token_type" "both": use "default-service", "default-batch", "service" or "batch"']);
    assert.equal((await api(server, 'GET', 'sys/auth', { token: ROOT })).body.data['other/'], undefined);
  });

  test('huge TTL number is a 400', async () => {
    const rejected = await api(server, 'POST', 'sys/mounts/huge', { token: ROOT, body: '{"type":"kv","config":{"default_lease_ttl":12345678901234567890}}' });
    assert.equal(rejected.status, 400);
    assert.deepEqual(rejected.body.errors, ['invalid "config.default_lease_ttl" 12345678901234567890: expected a duration such as "768h"']);
  });

  test('secrets engines take no token_type', async () => {
    const rejected = await api(server, 'POST', 'sys/mounts/kvx', { token: ROOT, body: { type: 'kv', config: { token_type: 'batch' } } });
    assert.equal(rejected.status, 400);
    assert.deepEqual(rejected.body.errors, ['invalid "config.token_type": only auth methods issue tokens']);
    assert.equal((await api(server, 'GET', 'sys/mounts/kvx', { token: ROOT })).status, 400);
  });
});
