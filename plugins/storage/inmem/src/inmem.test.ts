import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import { runStorageConformance } from '@coffer/certify';
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
