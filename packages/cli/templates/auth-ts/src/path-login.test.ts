import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { createBackend } from './backend.js';
import { INVALID_CREDENTIALS } from './path-login.js';
import { makeRequest, MapStorage } from './test-storage.js';

describe('login path', () => {
  const backend = createBackend();
  let storage: MapStorage;
  const send = (operation: Parameters<typeof makeRequest>[1], path: string, data?: Record<string, unknown>) =>
    backend.handleRequest(makeRequest(storage, operation, path, data));

  beforeEach(async () => {
    storage = new MapStorage();
    await send('create', 'users/alice', { password: 'correct horse', token_policies: 'dev', token_ttl: '1h', token_max_ttl: '2h' });
  });

  test('login returns the policies and alias', async () => {
    const response = await send('update', 'login', { username: 'alice', password: 'correct horse' });
    assert.deepEqual(response?.auth, {
      policies: ['dev'],
      ttl: 3600,
      maxTtl: 7200,
      renewable: true,
      displayName: 'alice',
      metadata: { username: 'alice' },
      alias: { name: 'alice' },
    });
  });

  test('wrong password and unknown user get one error', async () => {
    await assert.rejects(send('update', 'login', { username: 'alice', password: 'guess' }), { status: 400, message: INVALID_CREDENTIALS });
    await assert.rejects(send('update', 'login', { username: 'mallory', password: 'correct horse' }), { status: 400, message: INVALID_CREDENTIALS });
  });

  test('stored user keeps no password', async () => {
    const stored = storage.entries.get('users/alice')!.toString('utf8');
    assert.equal(stored.includes('correct horse'), false);
  });
});
