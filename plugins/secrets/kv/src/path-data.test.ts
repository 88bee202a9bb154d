import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addSeconds, formatTimestamp, parseTimestamp } from './clock.js';
import { versionKey } from './store.js';
import {
  assertRejectedUnchanged,
  assertRejects,
  createHarness,
  dataOf,
  MOUNT_PREFIX,
  rawJson,
  type Harness,
} from './test-support.js';

const TIME = /^2024-01-02T03:04:05\.\d{1,9}Z$/;

async function put(harness: Harness, path: string, data: Record<string, unknown>, options?: Record<string, unknown>) {
  const body: Record<string, unknown> = { data };
  if (options !== undefined) body.options = options;
  return dataOf(await harness.send('update', `data/${path}`, body));
}

async function read(harness: Harness, path: string, version?: number) {
  return dataOf(await harness.send('read', `data/${path}`, version === undefined ? {} : { version: String(version) }));
}

describe('data write', () => {
  test('first write returns version 1', async () => {
    const harness = createHarness('2');

    const written = await put(harness, 'app/db', { password: 'hunter2' });

    assert.deepEqual(Object.keys(written), ['created_time', 'custom_metadata', 'deletion_time', 'destroyed', 'version']);
    assert.match(String(written.created_time), TIME);
    assert.equal(written.custom_metadata, null);
    assert.equal(written.deletion_time, '');
    assert.equal(written.destroyed, false);
    assert.equal(written.version, 1);
  });

  test('each write adds a version', async () => {
    const harness = createHarness('2');

    await put(harness, 'app', { a: '1' });
    const second = await put(harness, 'app', { a: '2' });

    assert.equal(second.version, 2);
    assert.deepEqual((await read(harness, 'app')).data, { a: '2' });
    assert.deepEqual((await read(harness, 'app', 1)).data, { a: '1' });
  });

  test('stores nested values unchanged', async () => {
    const harness = createHarness('2');
    const data = { list: [1, 'two', { three: 3 }], nested: { deep: { value: true } }, empty: {} };

    await put(harness, 'app', data);

    assert.deepEqual((await read(harness, 'app')).data, data);
  });

  test('data field as a JSON string', async () => {
    const harness = createHarness('2');

    await harness.send('create', 'data/app', { data: '{"key":"value"}' });

    assert.deepEqual((await read(harness, 'app')).data, { key: 'value' });
  });

  test('writes data before metadata', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });

    const data = await harness.storage.get(MOUNT_PREFIX + versionKey('app', 1));
    const metadata = await harness.storage.get(`${MOUNT_PREFIX}metadata/app`);

    assert.deepEqual(JSON.parse(String(data?.value)), { data: { a: '1' } });
    assert.equal(JSON.parse(String(metadata?.value)).currentVersion, 1);
  });

  test('concurrent writes get distinct versions', async () => {
    const harness = createHarness('2');

    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => put(harness, 'app', { n: i })));

    assert.deepEqual(results.map((result) => result.version).sort(), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(dataOf(await harness.send('read', 'metadata/app')).current_version, 8);
  });

  test('missing data is rejected', async () => {
    const harness = createHarness('2');

    await assertRejectedUnchanged(
      harness,
      harness.send('create', 'data/app', { options: {} }),
      'no data provided: send the key/value pairs of "app" as an object in the "data" field',
    );
  });

  test('data that is not an object is rejected', async () => {
    const harness = createHarness('2');

    await assertRejectedUnchanged(
      harness,
      harness.send('create', 'data/app', { data: [1, 2] }),
      'invalid field "data": expected an object, got an array',
    );
  });

  test('secret without data wrapper', async () => {
    const harness = createHarness('2');

    await assertRejectedUnchanged(
      harness,
      harness.send('create', 'data/app', { password: 's3cret', user: 'ops' }),
      'no data provided: send the key/value pairs of "app" as an object in the "data" field, as in {"data": {"password": ...}}',
    );
  });

  test('unknown read parameter is rejected', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });

    await assertRejects(harness.send('read', 'data/app', { colour: 'red' }), 400, 'unknown field "colour"');
  });

  test('unknown field is rejected', async () => {
    const harness = createHarness('2');

    await assertRejectedUnchanged(harness, harness.send('create', 'data/app', { data: {}, colour: 'red' }), 'unknown field "colour"');
  });

  test('invalid path is rejected', async () => {
    const harness = createHarness('2');
    await put(harness, 'a', { x: 1 });

    for (const [path, problem] of [
      ['a//b', 'remove the empty segment between two "/"'],
      ['a/../b', 'remove the ".." segment'],
      ['./b', 'remove the "." segment'],
      ['/b', 'remove the leading "/"'],
    ]) {
      await assertRejectedUnchanged(harness, harness.send('create', `data/${path}`, { data: { x: 1 } }), `invalid path "${path}": ${problem}`);
    }
  });
});

describe('data path limits', () => {
  test('segment over 255 bytes is rejected', async () => {
    const harness = createHarness('2');
    // 128 two-byte characters: 256 bytes in UTF-8.
    const path = `team/${'é'.repeat(128)}`;

    await assertRejectedUnchanged(
      harness,
      harness.send('create', `data/${path}`, { data: { x: 1 } }),
      `invalid path "${path.slice(0, 100)}..." (133 characters): segment 2 is 256 bytes long, more than the maximum of 255 bytes: shorten it`,
    );
    await assertRejectedUnchanged(
      harness,
      harness.send('create', `data/${'x'.repeat(300)}`, { data: { x: 1 } }),
      `invalid path "${'x'.repeat(100)}..." (300 characters): segment 1 is 300 bytes long, more than the maximum of 255 bytes: shorten it`,
    );
  });

  test('segment of 255 bytes is accepted', async () => {
    const harness = createHarness('2');
    const path = `team/${'x'.repeat(255)}`;

    await put(harness, path, { x: 1 });

    assert.deepEqual((await read(harness, path)).data, { x: 1 });
  });

  test('path over 100 segments is rejected', async () => {
    const harness = createHarness('2');

    for (const depth of [101, 2000]) {
      const path = Array.from({ length: depth }, () => 'a').join('/');
      await assertRejectedUnchanged(
        harness,
        harness.send('create', `data/${path}`, { data: { x: 1 } }),
        `invalid path "${path.slice(0, 100)}..." (${path.length} characters): it has ${depth} segments, ` +
          'more than the maximum of 100: use fewer "/"-separated segments',
      );
    }
  });

  test('path of 100 segments is accepted', async () => {
    const harness = createHarness('2');
    const path = Array.from({ length: 100 }, (_, i) => `s${i}`).join('/');

    await put(harness, path, { x: 1 });

    assert.deepEqual((await read(harness, path)).data, { x: 1 });
  });

  test('read over the limits is rejected', async () => {
    const harness = createHarness('2');

    await assertRejects(
      harness.send('read', `data/${'x'.repeat(256)}`),
      400,
      `invalid path "${'x'.repeat(100)}..." (256 characters): segment 1 is 256 bytes long, more than the maximum of 255 bytes: shorten it`,
    );
  });
});

describe('data check-and-set', () => {
  test('cas 0 creates a new key', async () => {
    const harness = createHarness('2');

    const written = await put(harness, 'app', { a: '1' }, { cas: 0 });

    assert.equal(written.version, 1);
  });

  test('cas 0 on an existing key is rejected', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });

    await assertRejectedUnchanged(
      harness,
      harness.send('update', 'data/app', { data: { a: '2' }, options: { cas: 0 } }),
      'check-and-set parameter did not match the current version: options.cas is 0 but the current version of "app" is 1; ' +
        'read the secret again and retry with its current version',
    );
  });

  test('matching cas writes', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });

    const written = await put(harness, 'app', { a: '2' }, { cas: '1' });

    assert.equal(written.version, 2);
  });

  test('stale cas is rejected', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });
    await put(harness, 'app', { a: '2' });

    await assertRejectedUnchanged(
      harness,
      harness.send('update', 'data/app', { data: { a: '3' }, options: { cas: 1 } }),
      'check-and-set parameter did not match the current version: options.cas is 1 but the current version of "app" is 2; ' +
        'read the secret again and retry with its current version',
    );
  });

  test('cas that is not a number is rejected', async () => {
    const harness = createHarness('2');

    for (const cas of ['one', -1, 1.5, true]) {
      await assertRejectedUnchanged(
        harness,
        harness.send('create', 'data/app', { data: { a: '1' }, options: { cas } }),
        `error parsing check-and-set parameter: options.cas must be a non-negative integer, got ${JSON.stringify(cas)}`,
      );
    }
  });

  test('engine cas_required needs cas', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { cas_required: true });

    await assertRejectedUnchanged(
      harness,
      harness.send('create', 'data/app', { data: { a: '1' } }),
      'check-and-set parameter required for this call: set options.cas to the current version of "app", or to 0 if it does not exist yet',
    );
    assert.equal((await put(harness, 'app', { a: '1' }, { cas: 0 })).version, 1);
  });

  test('key cas_required needs cas', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });
    await harness.send('update', 'metadata/app', { cas_required: true });

    await assertRejectedUnchanged(
      harness,
      harness.send('update', 'data/app', { data: { a: '2' } }),
      'check-and-set parameter required for this call: set options.cas to the current version of "app", or to 0 if it does not exist yet',
    );
    assert.equal((await put(harness, 'app', { a: '2' }, { cas: 1 })).version, 2);
  });
});

describe('data read', () => {
  test('returns data and version metadata', async () => {
    const harness = createHarness('2');
    const written = await put(harness, 'app', { user: 'admin' });

    const result = await read(harness, 'app');

    assert.deepEqual(result, {
      data: { user: 'admin' },
      metadata: {
        created_time: written.created_time,
        custom_metadata: null,
        deletion_time: '',
        destroyed: false,
        version: 1,
      },
    });
  });

  test('includes custom metadata', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { user: 'admin' });
    await harness.send('update', 'metadata/app', { custom_metadata: { owner: 'team-a' } });

    const result = await read(harness, 'app');

    assert.deepEqual((result.metadata as Record<string, unknown>).custom_metadata, { owner: 'team-a' });
  });

  test('version 0 reads the current version', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });
    await put(harness, 'app', { a: '2' });

    assert.deepEqual((await read(harness, 'app', 0)).data, { a: '2' });
  });

  test('missing key is 404', async () => {
    const harness = createHarness('2');

    await assertRejects(harness.send('read', 'data/nothing'), 404, 'secret "nothing" not found');
  });

  test('missing version is 404', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });

    await assertRejects(harness.send('read', 'data/app', { version: 5 }), 404, 'version 5 of secret "app" not found');
  });

  test('negative version is rejected', async () => {
    const harness = createHarness('2');

    await assertRejects(
      harness.send('read', 'data/app', { version: -1 }),
      400,
      'invalid field "version": -1 is negative: use a version number, or 0 for the current version',
    );
  });

  test('version that is not a number is rejected', async () => {
    const harness = createHarness('2');

    await assertRejects(harness.send('read', 'data/app', { version: 'latest' }), 400, 'invalid field "version": expected an integer, got "latest"');
  });

  test('deleted version is 404 with metadata', async () => {
    const harness = createHarness('2');
    const written = await put(harness, 'app', { a: '1' });
    await harness.send('delete', 'data/app');

    const { status, body } = rawJson(await harness.send('read', 'data/app'));

    assert.equal(status, 404);
    assert.equal(body.request_id, 'req-0001');
    assert.equal(body.lease_duration, 0);
    assert.equal(body.warnings, null);
    const data = body.data as Record<string, unknown>;
    assert.equal(data.data, null);
    const metadata = data.metadata as Record<string, unknown>;
    assert.equal(metadata.version, 1);
    assert.equal(metadata.created_time, written.created_time);
    assert.match(String(metadata.deletion_time), TIME);
    assert.equal(metadata.destroyed, false);
  });

  test('destroyed version is 404 with metadata', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });
    await harness.send('update', 'destroy/app', { versions: [1] });

    const { status, body } = rawJson(await harness.send('read', 'data/app', { version: 1 }));

    assert.equal(status, 404);
    const data = body.data as Record<string, unknown>;
    assert.equal(data.data, null);
    assert.equal((data.metadata as Record<string, unknown>).destroyed, true);
    assert.equal((data.metadata as Record<string, unknown>).deletion_time, '');
  });
});

describe('data delete_version_after', () => {
  test('sets a future deletion time', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { delete_version_after: '1h' });

    const written = await put(harness, 'app', { a: '1' });

    const expected = formatTimestamp(addSeconds(parseTimestamp(String(written.created_time)), 3600));
    assert.equal(written.deletion_time, expected);
    assert.deepEqual((await read(harness, 'app')).data, { a: '1' });
  });

  test('version is unreadable once the time passes', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });
    await harness.send('update', 'metadata/app', { delete_version_after: '30s' });
    await put(harness, 'app', { a: '2' });

    harness.clock.advance(31);

    assert.equal(rawJson(await harness.send('read', 'data/app')).status, 404);
    assert.deepEqual((await read(harness, 'app', 1)).data, { a: '1' });
  });

  test('shorter of engine and key wins', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { delete_version_after: '1h' });
    await harness.send('update', 'metadata/app', { delete_version_after: '10m' });

    const written = await put(harness, 'app', { a: '1' });

    const expected = formatTimestamp(addSeconds(parseTimestamp(String(written.created_time)), 600));
    assert.equal(written.deletion_time, expected);
  });

  test('negative engine setting turns it off', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'metadata/app', { delete_version_after: '10m' });
    await harness.send('update', 'config', { delete_version_after: '-1' });

    const written = await put(harness, 'app', { a: '1' });

    assert.equal(written.deletion_time, '');
  });
});

describe('data entries stored before the limits', () => {
  const INVALID_TIME = '+013434-11-15T12:44.396Z';

  /**
   * Writes `deletionTime` into version 1 of `path` the way the engine stored
   * it before the fix, then invalidates the key as the core does when
   * another node writes.
   */
  async function storeDeletionTime(harness: Harness, path: string, deletionTime: string): Promise<void> {
    const key = `${MOUNT_PREFIX}metadata/${path}`;
    const meta = JSON.parse(String((await harness.storage.get(key))?.value)) as { versions: Record<string, { deletionTime: string }> };
    meta.versions['1'].deletionTime = deletionTime;
    await harness.storage.put({ key, value: Buffer.from(JSON.stringify(meta)) });
    harness.backend.invalidate?.(`metadata/${path}`);
  }

  test('invalid deletion time reads as not deleted', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });
    await storeDeletionTime(harness, 'app', INVALID_TIME);

    const body = await read(harness, 'app');

    assert.deepEqual(body.data, { a: '1' });
    assert.equal((body.metadata as Record<string, unknown>).deletion_time, '');
    const versions = dataOf(await harness.send('read', 'metadata/app')).versions as Record<string, Record<string, unknown>>;
    assert.equal(versions['1'].deletion_time, '');
  });

  test('invalid deletion time logs one warning per key', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });
    await storeDeletionTime(harness, 'app', INVALID_TIME);

    await read(harness, 'app');
    await read(harness, 'app');

    assert.deepEqual(harness.logger.lines, [
      {
        level: 'warn',
        fields: { path: 'app', version: '1', deletionTime: INVALID_TIME },
        message: 'ignoring invalid stored deletion time: the version counts as not deleted, and the next metadata write clears it',
      },
    ]);
  });

  test('delete and undelete work on an invalid deletion time', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });
    await storeDeletionTime(harness, 'app', '2024-13-01T00:00:00Z');

    assert.equal(await harness.send('update', 'delete/app', { versions: [1] }), null);
    assert.equal(rawJson(await harness.send('read', 'data/app')).status, 404);

    assert.equal(await harness.send('update', 'undelete/app', { versions: [1] }), null);
    const stored = JSON.parse(String((await harness.storage.get(`${MOUNT_PREFIX}metadata/app`))?.value));
    assert.equal(stored.versions['1'].deletionTime, '');
    assert.deepEqual((await read(harness, 'app')).data, { a: '1' });
  });

  test('write after an invalid deletion time stores a valid one', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: '1' });
    await storeDeletionTime(harness, 'app', INVALID_TIME);

    await put(harness, 'app', { a: '2' });

    const stored = JSON.parse(String((await harness.storage.get(`${MOUNT_PREFIX}metadata/app`))?.value));
    assert.equal(stored.versions['1'].deletionTime, '');
    assert.deepEqual((await read(harness, 'app', 1)).data, { a: '1' });
  });

  test('delete_version_after past the Go maximum is capped', async () => {
    for (const deleteVersionAfter of [99_999_999 * 3600, 1e22]) {
      const harness = createHarness('2');
      await harness.storage.put({
        key: `${MOUNT_PREFIX}config`,
        value: Buffer.from(JSON.stringify({ maxVersions: 0, casRequired: false, deleteVersionAfter })),
      });

      const written = await put(harness, 'app', { a: '1' });

      const expected = formatTimestamp(addSeconds(parseTimestamp(String(written.created_time)), 9_223_372_036));
      assert.equal(written.deletion_time, expected, `deleteVersionAfter ${deleteVersionAfter}`);
      assert.deepEqual((await read(harness, 'app')).data, { a: '1' });
    }
  });
});

describe('data max_versions', () => {
  test('prunes the oldest version past the default of 10', async () => {
    const harness = createHarness('2');
    for (let i = 1; i <= 11; i += 1) await put(harness, 'app', { n: i });

    const metadata = dataOf(await harness.send('read', 'metadata/app'));

    assert.deepEqual(Object.keys(metadata.versions as object), ['2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
    assert.equal(metadata.oldest_version, 2);
    assert.equal(metadata.current_version, 11);
    await assertRejects(harness.send('read', 'data/app', { version: 1 }), 404, 'version 1 of secret "app" not found');
    assert.equal(await harness.storage.get(MOUNT_PREFIX + versionKey('app', 1)), null);
  });

  test('oldest_version stays 0 until pruning starts', async () => {
    const harness = createHarness('2');
    for (let i = 1; i <= 9; i += 1) await put(harness, 'app', { n: i });
    assert.equal(dataOf(await harness.send('read', 'metadata/app')).oldest_version, 0);

    await put(harness, 'app', { n: 10 });

    const metadata = dataOf(await harness.send('read', 'metadata/app'));
    assert.equal(metadata.oldest_version, 1);
    assert.equal(Object.keys(metadata.versions as object).length, 10);
  });

  test('engine setting limits versions', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { max_versions: 2 });
    for (let i = 1; i <= 4; i += 1) await put(harness, 'app', { n: i });

    const metadata = dataOf(await harness.send('read', 'metadata/app'));

    assert.deepEqual(Object.keys(metadata.versions as object), ['3', '4']);
    assert.equal(metadata.oldest_version, 3);
  });

  test('key setting overrides the engine', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { max_versions: 2 });
    await harness.send('update', 'metadata/app', { max_versions: 3 });
    for (let i = 1; i <= 4; i += 1) await put(harness, 'app', { n: i });

    const metadata = dataOf(await harness.send('read', 'metadata/app'));

    assert.deepEqual(Object.keys(metadata.versions as object), ['2', '3', '4']);
  });

  test('lowered limit prunes several versions', async () => {
    const harness = createHarness('2');
    for (let i = 1; i <= 5; i += 1) await put(harness, 'app', { n: i });
    await harness.send('update', 'metadata/app', { max_versions: 2 });

    await put(harness, 'app', { n: 6 });

    const metadata = dataOf(await harness.send('read', 'metadata/app'));
    assert.deepEqual(Object.keys(metadata.versions as object), ['5', '6']);
    const keys = [...(await harness.snapshot()).keys()].filter((key) => key.includes('/versions/'));
    assert.deepEqual(keys.sort(), [MOUNT_PREFIX + versionKey('app', 5), MOUNT_PREFIX + versionKey('app', 6)].sort());
  });
});

describe('data interrupted write', () => {
  test('failed metadata write keeps the old version', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });
    harness.faults.failNext('put', /metadata\/app$/);

    await assert.rejects(harness.send('update', 'data/app', { data: { a: 2 } }), { message: /^injected put failure/ });

    assert.deepEqual((await read(harness, 'app')).data, { a: 1 });
    assert.equal(dataOf(await harness.send('read', 'metadata/app')).current_version, 1);
    await assertRejects(harness.send('read', 'data/app', { version: 2 }), 404, 'version 2 of secret "app" not found');
    assert.equal((await put(harness, 'app', { a: 3 })).version, 2);
    assert.deepEqual((await read(harness, 'app')).data, { a: 3 });
  });

  test('failed prune becomes a warning', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'metadata/app', { max_versions: 1 });
    await put(harness, 'app', { a: 1 });
    harness.faults.failNext('delete', /\/versions\//);

    const response = await harness.send('update', 'data/app', { data: { a: 2 } });

    assert.deepEqual(response?.warnings, ['failed to delete the data of old versions; a later write of this secret that prunes versions retries']);
    assert.equal(dataOf(response).version, 2);
    assert.notEqual(await harness.storage.get(MOUNT_PREFIX + versionKey('app', 1)), null);
    await put(harness, 'app', { a: 3 });
    assert.equal(await harness.storage.get(MOUNT_PREFIX + versionKey('app', 1)), null);
    assert.equal(await harness.storage.get(MOUNT_PREFIX + versionKey('app', 2)), null);
  });
});

describe('data patch', () => {
  test('merges into the current version', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { keep: 'yes', change: 'old', remove: 'me', nested: { a: 1, b: { c: 2, d: 3 } }, list: [1, 2] });

    const patched = dataOf(
      await harness.send('patch', 'data/app', {
        data: { change: 'new', remove: null, added: 'here', nested: { b: { d: null, e: 4 } }, list: [3] },
      }),
    );

    assert.equal(patched.version, 2);
    assert.deepEqual((await read(harness, 'app')).data, {
      keep: 'yes',
      change: 'new',
      nested: { a: 1, b: { c: 2, e: 4 } },
      list: [3],
      added: 'here',
    });
    assert.equal(((await read(harness, 'app', 1)).data as Record<string, unknown>).remove, 'me');
  });

  test('object replaces a scalar', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { value: 'text' });

    await harness.send('patch', 'data/app', { data: { value: { now: 'object', gone: null } } });

    assert.deepEqual((await read(harness, 'app')).data, { value: { now: 'object' } });
  });

  test('__proto__ key is stored as data', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });

    await harness.send('patch', 'data/app', { data: JSON.parse('{"__proto__": {"polluted": true}}') });

    const data = (await read(harness, 'app')).data as Record<string, unknown>;
    assert.deepEqual(Object.keys(data), ['a', '__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('missing key is 404', async () => {
    const harness = createHarness('2');

    await assertRejects(
      harness.send('patch', 'data/app', { data: { a: 1 } }),
      404,
      'secret "app" not found: a patch changes an existing secret, so write it first',
    );
  });

  test('deleted current version is 404 with metadata', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });
    await harness.send('delete', 'data/app');
    const before = await harness.snapshot();

    const { status, body } = rawJson(await harness.send('patch', 'data/app', { data: { a: 2 } }));

    assert.equal(status, 404);
    const data = body.data as Record<string, unknown>;
    assert.equal(data.version, 1);
    assert.match(String(data.deletion_time), TIME);
    assert.deepEqual(await harness.snapshot(), before);
  });

  test('stale cas is rejected', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });
    await put(harness, 'app', { a: 2 });

    await assertRejectedUnchanged(
      harness,
      harness.send('patch', 'data/app', { data: { a: 3 }, options: { cas: 1 } }),
      'check-and-set parameter did not match the current version: options.cas is 1 but the current version of "app" is 2; ' +
        'read the secret again and retry with its current version',
    );
  });

  test('matching cas patches', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });

    const patched = dataOf(await harness.send('patch', 'data/app', { data: { b: 2 }, options: { cas: 1 } }));

    assert.equal(patched.version, 2);
  });

  test('missing data is rejected', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });

    await assertRejectedUnchanged(
      harness,
      harness.send('patch', 'data/app', {}),
      'no data provided: send the key/value pairs of "app" as an object in the "data" field',
    );
  });
});

describe('data delete', () => {
  test('soft-deletes the current version only', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });
    await put(harness, 'app', { a: 2 });

    assert.equal(await harness.send('delete', 'data/app'), null);

    const metadata = dataOf(await harness.send('read', 'metadata/app'));
    const versions = metadata.versions as Record<string, Record<string, unknown>>;
    assert.equal(versions['1'].deletion_time, '');
    assert.match(String(versions['2'].deletion_time), TIME);
    assert.deepEqual((await read(harness, 'app', 1)).data, { a: 1 });
    assert.notEqual(await harness.storage.get(MOUNT_PREFIX + versionKey('app', 2)), null);
  });

  test('second delete keeps the first deletion time', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });
    await harness.send('delete', 'data/app');
    const before = await harness.snapshot();

    await harness.send('delete', 'data/app');

    assert.deepEqual(await harness.snapshot(), before);
  });

  test('missing key is a no-op', async () => {
    const harness = createHarness('2');

    assert.equal(await harness.send('delete', 'data/app'), null);
    assert.equal((await harness.snapshot()).size, 0);
  });
});

describe('data existence check', () => {
  test('reports whether the key exists', async () => {
    const harness = createHarness('2');

    assert.deepEqual(await harness.exists('create', 'data/app', { data: { a: 1 } }), { checkFound: true, exists: false });
    await put(harness, 'app', { a: 1 });
    assert.deepEqual(await harness.exists('update', 'data/app', { data: { a: 2 } }), { checkFound: true, exists: true });
  });

  test('invalid path does not exist', async () => {
    const harness = createHarness('2');

    assert.deepEqual(await harness.exists('create', 'data/a//b'), { checkFound: true, exists: false });
  });
});
