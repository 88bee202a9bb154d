import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const TOKEN = 'root-mount-manager-test';

/** Tunes and moves of built-in engines, which start a new backend before the old one stops. */
describe('mount manager replacing backends', () => {
  let server: RunningServer;
  const call = (method: string, path: string, body?: unknown) => api(server, method, path, { token: TOKEN, body });

  before(async () => {
    server = await startDevServer(TOKEN);
  });
  after(() => server.close());

  test('tune upgrades kv to version 2', async () => {
    assert.equal((await call('POST', 'sys/mounts/upgrade', { type: 'kv', options: { version: '1' } })).status, 204);
    assert.equal((await call('PUT', 'upgrade/app', { password: 'one' })).status, 204);

    const tuned = await call('POST', 'sys/mounts/upgrade/tune', { options: { version: '2' } });

    assert.equal(tuned.status, 204, JSON.stringify(tuned.body));
    const read = await call('GET', 'upgrade/data/app');
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.deepEqual(read.body.data.data, { password: 'one' });
    assert.equal(read.body.data.metadata.version, 1);
  });

  test('tune back to version 1 changes nothing', async () => {
    const rejected = await call('POST', 'sys/mounts/upgrade/tune', { options: { version: '1' } });

    assert.equal(rejected.status, 400);
    assert.deepEqual(rejected.body.errors, ['invalid option "version" "1": a kv mount can only be upgraded from version 1 to 2']);
    assert.deepEqual((await call('GET', 'sys/mounts/upgrade/tune')).body.data.options, { version: '2' });
    assert.deepEqual((await call('GET', 'upgrade/data/app')).body.data.data, { password: 'one' });
  });

  test('move keeps the data', async () => {
    const moved = await call('POST', 'sys/remount', { from: 'upgrade', to: 'elsewhere' });

    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual((await call('GET', 'elsewhere/data/app')).body.data.data, { password: 'one' });
    const mounts = (await call('GET', 'sys/mounts')).body.data;
    assert.equal(mounts['upgrade/'], undefined);
    assert.equal(mounts['elsewhere/'].type, 'kv');
  });
});
