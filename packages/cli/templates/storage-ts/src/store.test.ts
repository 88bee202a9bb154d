import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MapStore } from './store.js';

describe('map store', () => {
  test('list returns children only', async () => {
    const store = new MapStore();
    await store.put({ key: 'a/b', value: Buffer.from('1') });
    await store.put({ key: 'a/c/d', value: Buffer.from('2') });
    assert.deepEqual(await store.list('a/'), ['b', 'c/']);
  });

  test('invalid key is rejected', async () => {
    const store = new MapStore();
    await assert.rejects(store.put({ key: '/abs', value: Buffer.from('x') }), { message: 'storage "__NAME__": invalid key: key "/abs" must not start with "/"' });
  });
});
