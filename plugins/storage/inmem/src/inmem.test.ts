import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import { runStorageConformance } from '@coffer/certify';
import { InmemStorage } from './inmem.js';
import { plugin } from './index.js';

runStorageConformance({
  name: 'inmem',
  module: new URL('./index.js', import.meta.url).href,
  settings: () => ({}),
  persistent: false,
});

test('inmem: each create starts empty', async () => {
  const first = await plugin.create({}, { logger: silentLogger });
  await first.put({ key: 'k', value: Buffer.from('v') });
  const second = await plugin.create({}, { logger: silentLogger });
  assert.equal(await second.get('k'), null);
});

test('inmem: snapshot copies entries by key', async () => {
  const storage = new InmemStorage();
  await storage.put({ key: 'b/two', value: Buffer.from([0xff, 0x00]) });
  await storage.put({ key: 'a', value: Buffer.from('one') });

  const snapshot = storage.snapshot();
  assert.deepEqual([...snapshot.keys()], ['a', 'b/two']);
  assert.deepEqual(snapshot.get('b/two'), Buffer.from([0xff, 0x00]));

  // The copy does not change with the storage, nor the storage with the copy.
  snapshot.get('a')![0] = 0x4f;
  await storage.put({ key: 'a', value: Buffer.from('uno') });
  assert.equal(snapshot.get('a')!.toString('utf8'), 'One');
  assert.equal((await storage.get('a'))?.value.toString('utf8'), 'uno');
});
