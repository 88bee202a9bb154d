import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { SECRET_TYPE_KEY } from '@coffer/sdk';
import { createBackend } from './backend.js';
import { COPY_MAX_TTL, COPY_TTL } from './path-leases.js';
import { makeRequest, MapStorage } from './test-storage.js';

describe('lease paths', () => {
  const backend = createBackend();
  let storage: MapStorage;
  const send = (operation: Parameters<typeof makeRequest>[1], path: string, data?: Record<string, unknown>) =>
    backend.handleRequest(makeRequest(storage, operation, path, data));

  beforeEach(() => {
    storage = new MapStorage();
  });

  test('read issues a leased copy', async () => {
    await send('create', 'items/first', { value: 'v1' });
    assert.deepEqual(await send('read', 'lease/first'), {
      data: { value: 'v1' },
      secret: { ttl: COPY_TTL, maxTtl: COPY_MAX_TTL, renewable: true, internalData: { name: 'first', [SECRET_TYPE_KEY]: 'copy' } },
    });
  });

  test('copy of missing item is 404', async () => {
    await assert.rejects(send('read', 'lease/absent'), { status: 404, message: 'item "absent" not found' });
  });

  test('renew of deleted item is 404', async () => {
    await send('create', 'items/first', { value: 'v1' });
    const issued = await send('read', 'lease/first');
    await send('delete', 'items/first');
    const secret = { leaseId: 'items/lease/first/1', internalData: issued!.secret!.internalData, ttl: COPY_TTL, issueTime: '2026-01-01T00:00:00Z', increment: 0 };
    await assert.rejects(backend.handleRequest({ ...makeRequest(storage, 'renew', 'lease/first', issued!.data ?? {}), secret }), {
      status: 404,
      message: 'the item of this lease no longer exists',
    });
  });
});
