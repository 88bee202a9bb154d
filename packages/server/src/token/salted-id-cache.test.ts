import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { SaltedIdCache } from './salted-id-cache.js';

const ROOT = 'root-test-token';
const READ_POLICY = 'path "secret/data/cached/*" {\n  capabilities = ["read"]\n}\n';

describe('SaltedIdCache', () => {
  test('forget drops the token by salted id', () => {
    const cache = new SaltedIdCache(10);
    cache.add('hvs.one', 'salted-one');
    cache.add('hvs.two', 'salted-two');
    cache.forget('salted-one');
    assert.equal(cache.get('hvs.one'), undefined);
    assert.equal(cache.get('hvs.two')?.saltedId, 'salted-two');
    assert.equal(cache.size, 1);
  });

  test('full cache evicts the oldest token', () => {
    const cache = new SaltedIdCache(2);
    cache.add('hvs.one', 'salted-one');
    cache.add('hvs.two', 'salted-two');
    cache.add('hvs.three', 'salted-three');
    assert.equal(cache.get('hvs.one'), undefined);
    assert.equal(cache.size, 2);
    // The evicted token's reverse entry is gone too, so forgetting it changes nothing.
    cache.forget('salted-one');
    assert.equal(cache.size, 2);
  });

  test('clear empties the cache', () => {
    const cache = new SaltedIdCache(10);
    cache.add('hvs.one', 'salted-one');
    cache.clear();
    assert.equal(cache.get('hvs.one'), undefined);
    assert.equal(cache.size, 0);
  });
});

describe('salted id cache in the token store', () => {
  let server: RunningServer;

  before(async () => {
    server = await startDevServer(ROOT);
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/cached', { token: ROOT, body: { policy: READ_POLICY } })).status, 204);
    assert.equal((await api(server, 'POST', 'secret/data/cached/one', { token: ROOT, body: { data: { value: 'v1' } } })).status, 200);
  });
  after(() => server.close());

  async function createReader(): Promise<string> {
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['cached'], ttl: '1h' } });
    assert.equal(created.status, 200);
    return created.body.auth.client_token as string;
  }

  test('revoked token is rejected at once', async () => {
    const token = await createReader();
    const before = server.core.tokens.cachedSaltedIds;
    assert.equal((await api(server, 'GET', 'secret/data/cached/one', { token })).status, 200);
    assert.equal(server.core.tokens.cachedSaltedIds, before + 1);

    const revoked = await api(server, 'POST', 'auth/token/revoke', { token: ROOT, body: { token } });
    assert.equal(revoked.status, 204);
    assert.equal(server.core.tokens.cachedSaltedIds, before);

    const rejected = await api(server, 'GET', 'secret/data/cached/one', { token });
    assert.equal(rejected.status, 403);
    assert.deepEqual(rejected.body, { errors: ['permission denied'] });
  });

  test('last use of a limited token drops it', async () => {
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['cached'], num_uses: 1 } });
    assert.equal(created.status, 200);
    const token = created.body.auth.client_token as string;
    const before = server.core.tokens.cachedSaltedIds;

    assert.equal((await api(server, 'GET', 'secret/data/cached/one', { token })).status, 200);
    assert.equal(server.core.tokens.cachedSaltedIds, before);
    const rejected = await api(server, 'GET', 'secret/data/cached/one', { token });
    assert.equal(rejected.status, 403);
    assert.equal(server.core.tokens.cachedSaltedIds, before);
  });

  test('unknown token is rejected, not cached', async () => {
    const before = server.core.tokens.cachedSaltedIds;
    const rejected = await api(server, 'GET', 'secret/data/cached/one', { token: 'hvs.not-a-real-token' });
    assert.equal(rejected.status, 403);
    assert.deepEqual(rejected.body, { errors: ['permission denied'] });
    assert.equal(server.core.tokens.cachedSaltedIds, before);
  });

  test('client token stays the same per mount', async () => {
    const token = await createReader();
    const first = server.core.tokens.clientTokenFor(token, 'secret/');
    assert.equal((await api(server, 'GET', 'secret/data/cached/one', { token })).status, 200);
    assert.equal(server.core.tokens.clientTokenFor(token, 'secret/'), first);
    assert.equal(first, server.core.tokens.saltedId(`secret/:${token}`));
    assert.notEqual(server.core.tokens.clientTokenFor(token, 'other/'), first);
  });

  test('seal empties the cache and unseal serves the token again', async () => {
    const token = await createReader();
    assert.equal((await api(server, 'GET', 'secret/data/cached/one', { token })).status, 200);
    assert.ok(server.core.tokens.cachedSaltedIds > 0);

    assert.equal((await api(server, 'PUT', 'sys/seal', { token: ROOT })).status, 204);
    assert.equal(server.core.tokens.cachedSaltedIds, 0);
    assert.equal((await api(server, 'GET', 'secret/data/cached/one', { token })).status, 503);

    const unsealed = await api(server, 'PUT', 'sys/unseal', { body: { key: server.dev!.unsealKey } });
    assert.equal(unsealed.status, 200);
    assert.equal(unsealed.body.sealed, false);
    const read = await api(server, 'GET', 'secret/data/cached/one', { token });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data.data, { value: 'v1' });
  });
});
