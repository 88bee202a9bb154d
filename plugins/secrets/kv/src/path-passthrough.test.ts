import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageView } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createBackend } from './backend.js';
import {
  assertRejectedUnchanged,
  assertRejects,
  createHarness,
  DEFAULT_LEASE_TTL,
  MOUNT_PREFIX,
  RecordingLogger,
} from './test-support.js';

describe('kv v1 write and read', () => {
  test('stores the fields as written', async () => {
    const harness = createHarness('1');
    const secret = { username: 'admin', password: 'hunter2', port: 5432, tags: ['a', 'b'], path: 'field named path' };

    assert.equal(await harness.send('create', 'app/db', secret), null);

    const response = await harness.send('read', 'app/db');
    assert.deepEqual(response?.data, secret);
    const entry = await harness.storage.get(`${MOUNT_PREFIX}app/db`);
    assert.deepEqual(JSON.parse(String(entry?.value)), secret);
  });

  test('write replaces the secret', async () => {
    const harness = createHarness('1');
    await harness.send('create', 'app', { a: '1', b: '2' });

    await harness.send('update', 'app', { c: '3' });

    assert.deepEqual((await harness.send('read', 'app'))?.data, { c: '3' });
  });

  test('read reports the mount default TTL', async () => {
    const harness = createHarness('1');
    await harness.send('create', 'app', { a: '1' });

    const response = await harness.send('read', 'app');

    assert.deepEqual(response?.secret, {
      ttl: DEFAULT_LEASE_TTL,
      maxTtl: 0,
      renewable: false,
      internalData: {},
      passthrough: true,
    });
  });

  test('ttl field sets the lease duration', async () => {
    const harness = createHarness('1');
    await harness.send('create', 'short', { a: '1', ttl: '1h' });
    await harness.send('create', 'seconds', { a: '1', ttl: 90 });

    assert.equal((await harness.send('read', 'short'))?.secret?.ttl, 3600);
    assert.equal((await harness.send('read', 'seconds'))?.secret?.ttl, 90);
    assert.deepEqual((await harness.send('read', 'short'))?.data, { a: '1', ttl: '1h' });
  });

  test('legacy lease field sets the lease duration', async () => {
    const harness = createHarness('1');
    await harness.send('create', 'app', { a: '1', lease: '30m' });

    assert.equal((await harness.send('read', 'app'))?.secret?.ttl, 1800);
  });

  test('zero ttl uses the default', async () => {
    const harness = createHarness('1');
    await harness.send('create', 'number', { a: '1', ttl: 0 });
    await harness.send('create', 'text', { a: '1', ttl: '0s' });

    assert.equal((await harness.send('read', 'number'))?.secret?.ttl, DEFAULT_LEASE_TTL);
    assert.equal((await harness.send('read', 'text'))?.secret?.ttl, DEFAULT_LEASE_TTL);
  });

  test('ttl past the maximum is capped', async () => {
    const harness = createHarness('1');
    await harness.send('create', 'app', { a: '1', ttl: '10000h' });

    const read = await harness.send('read', 'app');

    assert.equal(read?.secret?.ttl, 2 * DEFAULT_LEASE_TTL);
    assert.deepEqual(read?.data, { a: '1', ttl: '10000h' });
  });

  test('unknown maximum caps nothing', async () => {
    // An out-of-process plugin gets a maximum of 0 until it fetches the host's TTLs.
    const storage = new StorageView(new InmemStorage(), MOUNT_PREFIX);
    const system = { defaultLeaseTtl: () => 60, maxLeaseTtl: () => 0 };
    const backend = createBackend({ storage, logger: new RecordingLogger(), system, options: {}, mountPoint: 'kv/' });
    const request = { id: 'req-0001', path: 'app', storage, mountPoint: 'kv/', mountType: 'kv', clientToken: 'salted-token', headers: {} };
    await backend.handleRequest({ ...request, operation: 'create', data: { a: '1', ttl: '1h' } });

    const read = await backend.handleRequest({ ...request, operation: 'read', data: {} });

    assert.equal(read?.secret?.ttl, 3600);
  });

  test('unparsable stored ttl uses the default', async () => {
    const harness = createHarness('1');
    await harness.storage.put({ key: `${MOUNT_PREFIX}app`, value: Buffer.from('{"a":"1","ttl":"soon"}') });

    assert.equal((await harness.send('read', 'app'))?.secret?.ttl, DEFAULT_LEASE_TTL);
  });

  test('invalid ttl is rejected', async () => {
    const harness = createHarness('1');

    await assertRejectedUnchanged(
      harness,
      harness.send('create', 'app', { a: '1', ttl: 'soon' }),
      'invalid field "ttl": expected a duration such as 30, "30s", "90m" or "1h", got "soon"',
    );
  });

  test('empty write is rejected', async () => {
    const harness = createHarness('1');

    await assertRejectedUnchanged(harness, harness.send('create', 'app', {}), 'missing data fields: send at least one key/value pair to store at "app"');
  });

  test('invalid path is rejected', async () => {
    const harness = createHarness('1');

    await assertRejectedUnchanged(harness, harness.send('create', 'a/../b', { x: 1 }), 'invalid path "a/../b": remove the ".." segment');
    await assertRejectedUnchanged(harness, harness.send('create', 'a/', { x: 1 }), 'invalid path "a/": remove the trailing "/"');
    await assertRejectedUnchanged(
      harness,
      harness.send('create', '', { x: 1 }),
      'missing path: add the secret\'s name after the mount, as in "secret/data/my-app"',
    );
  });

  test('path over the limits is rejected', async () => {
    const harness = createHarness('1');
    const deep = Array.from({ length: 101 }, () => 'a').join('/');

    await assertRejectedUnchanged(
      harness,
      harness.send('create', `team/${'x'.repeat(256)}`, { x: 1 }),
      `invalid path "team/${'x'.repeat(95)}..." (261 characters): segment 2 is 256 bytes long, more than the maximum of 255 bytes: shorten it`,
    );
    await assertRejectedUnchanged(
      harness,
      harness.send('create', deep, { x: 1 }),
      `invalid path "${deep.slice(0, 100)}..." (201 characters): it has 101 segments, more than the maximum of 100: use fewer "/"-separated segments`,
    );
  });

  test('missing secret is 404', async () => {
    const harness = createHarness('1');

    await assertRejects(harness.send('read', 'nothing'), 404, 'secret "nothing" not found');
  });
});

describe('kv v1 delete', () => {
  test('removes the secret', async () => {
    const harness = createHarness('1');
    await harness.send('create', 'app', { a: '1' });

    assert.equal(await harness.send('delete', 'app'), null);

    await assertRejects(harness.send('read', 'app'), 404, 'secret "app" not found');
    assert.equal((await harness.snapshot()).size, 0);
  });

  test('missing secret succeeds', async () => {
    const harness = createHarness('1');

    assert.equal(await harness.send('delete', 'nothing'), null);
  });
});

describe('kv v1 list', () => {
  test('lists secrets and folders', async () => {
    const harness = createHarness('1');
    await harness.send('create', 'app', { a: '1' });
    await harness.send('create', 'team/db', { a: '1' });
    await harness.send('create', 'team/cache/redis', { a: '1' });

    assert.deepEqual((await harness.send('list', ''))?.data, { keys: ['app', 'team/'] });
    assert.deepEqual((await harness.send('list', 'team/'))?.data, { keys: ['cache/', 'db'] });
    assert.deepEqual((await harness.send('list', 'team'))?.data, { keys: ['cache/', 'db'] });
  });

  test('empty folder is 404', async () => {
    const harness = createHarness('1');

    await assertRejects(harness.send('list', ''), 404, 'no secrets found under "secret/"');
    await assertRejects(harness.send('list', 'none/'), 404, 'no secrets found under "secret/none/"');
  });
});

describe('kv v1 existence check', () => {
  test('reports whether the secret exists', async () => {
    const harness = createHarness('1');

    assert.deepEqual(await harness.exists('create', 'app', { a: '1' }), { checkFound: true, exists: false });
    await harness.send('create', 'app', { a: '1' });
    assert.deepEqual(await harness.exists('update', 'app', { a: '2' }), { checkFound: true, exists: true });
  });
});
