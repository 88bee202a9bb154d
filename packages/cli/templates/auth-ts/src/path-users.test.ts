import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { createBackend } from './backend.js';
import { makeRequest, MapStorage } from './test-storage.js';

describe('user paths', () => {
  const backend = createBackend();
  let storage: MapStorage;
  const send = (operation: Parameters<typeof makeRequest>[1], path: string, data?: Record<string, unknown>) =>
    backend.handleRequest(makeRequest(storage, operation, path, data));

  beforeEach(() => {
    storage = new MapStorage();
  });

  test('create then read returns settings', async () => {
    await send('create', 'users/alice', { password: 'pw', token_policies: 'dev,ops', token_ttl: '1h', token_max_ttl: '2h' });
    assert.deepEqual(await send('read', 'users/alice'), { data: { token_policies: ['dev', 'ops'], token_ttl: 3600, token_max_ttl: 7200 } });
  });

  test('create without password is rejected', async () => {
    await assert.rejects(send('create', 'users/alice', { token_policies: 'dev' }), { status: 400, message: 'missing required field "password" when a user is created' });
    assert.equal(storage.entries.size, 0);
  });

  test('ttl above max ttl is rejected', async () => {
    await assert.rejects(send('create', 'users/alice', { password: 'pw', token_ttl: '3h', token_max_ttl: '2h' }), {
      status: 400,
      message: 'invalid field "token_ttl": 10800 is more than "token_max_ttl" 7200',
    });
  });

  test('update keeps fields it does not set', async () => {
    await send('create', 'users/alice', { password: 'pw', token_policies: 'dev', token_ttl: '1h' });
    await send('update', 'users/alice', { token_policies: 'ops' });
    assert.deepEqual(await send('read', 'users/alice'), { data: { token_policies: ['ops'], token_ttl: 3600, token_max_ttl: 0 } });
  });

  test('read of missing user is 404', async () => {
    await assert.rejects(send('read', 'users/bob'), { status: 404, message: 'user "bob" not found' });
  });
});
