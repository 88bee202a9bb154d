import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { createBackend } from './backend.js';
import { makeRequest, MapStorage } from './test-storage.js';

describe('item paths', () => {
  const backend = createBackend();
  let storage: MapStorage;
  const send = (operation: Parameters<typeof makeRequest>[1], path: string, data?: Record<string, unknown>) =>
    backend.handleRequest(makeRequest(storage, operation, path, data));

  beforeEach(() => {
    storage = new MapStorage();
  });

  test('write then read returns the value', async () => {
    assert.equal(await send('create', 'items/first', { value: 'v1', rotate_period: '1h' }), null);
    assert.deepEqual(await send('read', 'items/first'), { data: { value: 'v1', rotate_period: 3600 } });
  });

  test('existence check finds stored items', async () => {
    const check = () => backend.handleExistenceCheck(makeRequest(storage, 'update', 'items/first', { value: 'x' }));
    assert.deepEqual(await check(), { checkFound: true, exists: false });
    await send('create', 'items/first', { value: 'v1' });
    assert.deepEqual(await check(), { checkFound: true, exists: true });
  });

  test('unknown field is rejected', async () => {
    await assert.rejects(send('create', 'items/first', { value: 'v1', colour: 'red' }), { status: 400, message: 'unknown field "colour"' });
    assert.equal(storage.entries.size, 0);
  });

  test('write without value is rejected', async () => {
    await assert.rejects(send('create', 'items/first', {}), { status: 400, message: 'missing required field "value" in a write to an item' });
    assert.equal(storage.entries.size, 0);
  });

  test('read of missing item is 404', async () => {
    await assert.rejects(send('read', 'items/absent'), { status: 404, message: 'item "absent" not found' });
  });

  test('list returns sorted names', async () => {
    await send('create', 'items/b', { value: '2' });
    await send('create', 'items/a', { value: '1' });
    assert.deepEqual(await send('list', 'items/'), { data: { keys: ['a', 'b'] } });
  });
});
