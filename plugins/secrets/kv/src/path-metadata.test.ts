import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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

async function put(harness: Harness, path: string, data: Record<string, unknown>) {
  return dataOf(await harness.send('update', `data/${path}`, { data }));
}

async function readMetadata(harness: Harness, path: string) {
  return dataOf(await harness.send('read', `metadata/${path}`));
}

describe('metadata read', () => {
  test('returns settings and versions', async () => {
    const harness = createHarness('2');
    const first = await put(harness, 'app', { a: 1 });
    const second = await put(harness, 'app', { a: 2 });

    const metadata = await readMetadata(harness, 'app');

    assert.deepEqual(metadata, {
      cas_required: false,
      created_time: first.created_time,
      current_version: 2,
      custom_metadata: null,
      delete_version_after: '0s',
      max_versions: 0,
      oldest_version: 0,
      updated_time: second.created_time,
      versions: {
        '1': { created_time: first.created_time, deletion_time: '', destroyed: false },
        '2': { created_time: second.created_time, deletion_time: '', destroyed: false },
      },
    });
  });

  test('missing key is 404', async () => {
    const harness = createHarness('2');

    await assertRejects(harness.send('read', 'metadata/app'), 404, 'metadata of secret "app" not found');
  });

  test('root is 404 with a warning', async () => {
    const harness = createHarness('2');

    for (const path of ['metadata', 'metadata/']) {
      const { status, body } = rawJson(await harness.send('read', path));
      assert.equal(status, 404);
      assert.equal(body.data, null);
      assert.deepEqual(body.warnings, ['Non-listing operations on the root of a K/V v2 mount are not supported.']);
    }
  });
});

describe('metadata write', () => {
  test('creates a key without versions', async () => {
    const harness = createHarness('2');

    const response = await harness.send('create', 'metadata/app', {
      max_versions: 5,
      cas_required: true,
      delete_version_after: '3h25m19s',
      custom_metadata: { owner: 'team-a', tier: 1, id: 12345678901234567890n },
    });

    assert.equal(response, null);
    const metadata = await readMetadata(harness, 'app');
    assert.equal(metadata.max_versions, 5);
    assert.equal(metadata.cas_required, true);
    assert.equal(metadata.delete_version_after, '3h25m19s');
    assert.deepEqual(metadata.custom_metadata, { owner: 'team-a', tier: '1', id: '12345678901234567890' });
    assert.equal(metadata.current_version, 0);
    assert.deepEqual(metadata.versions, {});
    assert.match(String(metadata.created_time), TIME);
    assert.equal(metadata.updated_time, metadata.created_time);
    await assertRejects(harness.send('read', 'data/app'), 404, 'secret "app" not found');
  });

  test('changes only the fields sent', async () => {
    const harness = createHarness('2');
    await harness.send('create', 'metadata/app', { max_versions: 5, custom_metadata: { owner: 'team-a' } });

    await harness.send('update', 'metadata/app', { cas_required: true });

    const metadata = await readMetadata(harness, 'app');
    assert.equal(metadata.max_versions, 5);
    assert.equal(metadata.cas_required, true);
    assert.deepEqual(metadata.custom_metadata, { owner: 'team-a' });
  });

  test('custom_metadata replaces the stored pairs', async () => {
    const harness = createHarness('2');
    await harness.send('create', 'metadata/app', { custom_metadata: { owner: 'team-a', tier: 'gold' } });

    await harness.send('update', 'metadata/app', { custom_metadata: { region: 'eu' } });

    assert.deepEqual((await readMetadata(harness, 'app')).custom_metadata, { region: 'eu' });
  });

  test('empty custom_metadata reads as null', async () => {
    const harness = createHarness('2');
    await harness.send('create', 'metadata/app', { custom_metadata: { owner: 'team-a' } });

    await harness.send('update', 'metadata/app', { custom_metadata: {} });

    assert.equal((await readMetadata(harness, 'app')).custom_metadata, null);
  });

  test('write without fields creates nothing', async () => {
    const harness = createHarness('2');

    assert.equal(await harness.send('create', 'metadata/app', {}), null);
    assert.equal((await harness.snapshot()).size, 0);
  });

  test('cas_required false under engine cas_required warns', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { cas_required: true });

    const response = await harness.send('create', 'metadata/app', { cas_required: false });

    assert.deepEqual(response, {
      warnings: ['"cas_required" set to false, but is mandated by backend config. This value will be ignored.'],
    });
  });

  test('does not change updated_time or versions', async () => {
    const harness = createHarness('2');
    const written = await put(harness, 'app', { a: 1 });

    await harness.send('update', 'metadata/app', { max_versions: 3 });

    const metadata = await readMetadata(harness, 'app');
    assert.equal(metadata.updated_time, written.created_time);
    assert.equal(metadata.current_version, 1);
  });

  test('negative max_versions is rejected', async () => {
    const harness = createHarness('2');

    await assertRejectedUnchanged(
      harness,
      harness.send('create', 'metadata/app', { max_versions: -2 }),
      'invalid field "max_versions": -2 is negative: use 0 for the engine setting or a positive number of versions',
    );
  });

  test('negative delete_version_after is rejected', async () => {
    const harness = createHarness('2');

    await assertRejectedUnchanged(
      harness,
      harness.send('create', 'metadata/app', { delete_version_after: '-1h' }),
      'invalid field "delete_version_after": expected a duration such as 30, "30s", "90m" or "1h", got "-1h"',
    );
  });

  test('delete_version_after past the Go maximum is rejected', async () => {
    const harness = createHarness('2');
    await harness.send('create', 'metadata/app', { delete_version_after: '1h' });
    const cases: Array<[unknown, string]> = [
      ['99999999h', '"99999999h"'],
      ['9999999999999999999999s', '"9999999999999999999999s"'],
      ['2562047h47m17s', '"2562047h47m17s"'],
      [1e22, '1e+22'],
    ];

    for (const [value, shown] of cases) {
      for (const operation of ['update', 'patch'] as const) {
        await assertRejectedUnchanged(
          harness,
          harness.send(operation, 'metadata/app', { delete_version_after: value }),
          `invalid field "delete_version_after": ${shown} is longer than the maximum of 2562047h47m16s: use a shorter duration`,
        );
      }
    }
    assert.equal((await readMetadata(harness, 'app')).delete_version_after, '1h0m0s');
  });

  test('delete_version_after at the Go maximum is accepted', async () => {
    const harness = createHarness('2');

    await harness.send('create', 'metadata/app', { delete_version_after: '2562047h47m16s' });
    const written = await put(harness, 'app', { a: 1 });

    assert.equal((await readMetadata(harness, 'app')).delete_version_after, '2562047h47m16s');
    assert.match(String(written.deletion_time), /^2316-04-13T/);
  });

  test('max_versions past the safe integer range is rejected', async () => {
    const harness = createHarness('2');
    await harness.send('create', 'metadata/app', { max_versions: 4 });

    for (const operation of ['update', 'patch'] as const) {
      await assertRejectedUnchanged(
        harness,
        harness.send(operation, 'metadata/app', { max_versions: 1e22 }),
        'invalid field "max_versions": 1e+22 is more than the maximum of 9007199254740991: ' +
          'use 0 for the engine setting or a positive number of versions',
      );
    }
    assert.equal((await readMetadata(harness, 'app')).max_versions, 4);
  });

  test('cas_required that is not a boolean is rejected', async () => {
    const harness = createHarness('2');

    await assertRejectedUnchanged(
      harness,
      harness.send('create', 'metadata/app', { cas_required: 'maybe' }),
      'invalid field "cas_required": expected a boolean, got "maybe"',
    );
  });

  test('custom_metadata limits are enforced', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });
    const tooMany = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`key${i}`, 'v']));
    const cases: Array<[unknown, string]> = [
      [tooMany, 'custom_metadata validation failed: payload must contain at most 64 keys, provided 65'],
      [{ ['k'.repeat(129)]: 'v' }, `custom_metadata validation failed: length of key "${'k'.repeat(129)}" is 129 but must be 0 < len(key) <= 128`],
      [{ long: 'v'.repeat(513) }, 'custom_metadata validation failed: length of value for key "long" is 513 but must be 0 < len(value) <= 512'],
      [{ empty: '' }, 'custom_metadata validation failed: length of value for key "empty" is 0 but must be 0 < len(value) <= 512'],
      [{ bell: 'ring\u0007' }, 'custom_metadata validation failed: value for key "bell" contains unprintable characters'],
      [{ 'tab\tkey': 'v' }, 'custom_metadata validation failed: key "tab\\tkey" contains unprintable characters'],
      [{ nested: { a: 'b' } }, 'custom_metadata validation failed: value for key "nested" must be a string, got an object'],
      ['not a map', 'invalid field "custom_metadata": expected an object, got "not a map"'],
    ];

    for (const [customMetadata, message] of cases) {
      await assertRejectedUnchanged(harness, harness.send('update', 'metadata/app', { custom_metadata: customMetadata }), message);
    }
  });

  test('root is 404 with a warning', async () => {
    const harness = createHarness('2');

    const { status, body } = rawJson(await harness.send('update', 'metadata/', { max_versions: 1 }));

    assert.equal(status, 404);
    assert.deepEqual(body.warnings, ['Non-listing operations on the root of a K/V v2 mount are not supported.']);
    assert.equal((await harness.snapshot()).size, 0);
  });
});

describe('metadata patch', () => {
  test('changes only the fields sent', async () => {
    const harness = createHarness('2');
    await harness.send('create', 'metadata/app', { max_versions: 5, cas_required: true, custom_metadata: { owner: 'a' } });

    assert.equal(await harness.send('patch', 'metadata/app', { max_versions: 7 }), null);

    const metadata = await readMetadata(harness, 'app');
    assert.equal(metadata.max_versions, 7);
    assert.equal(metadata.cas_required, true);
    assert.deepEqual(metadata.custom_metadata, { owner: 'a' });
  });

  test('custom_metadata merges and null removes a key', async () => {
    const harness = createHarness('2');
    await harness.send('create', 'metadata/app', { custom_metadata: { owner: 'a', tier: 'gold' } });

    await harness.send('patch', 'metadata/app', { custom_metadata: { tier: null, region: 'eu' } });

    assert.deepEqual((await readMetadata(harness, 'app')).custom_metadata, { owner: 'a', region: 'eu' });
  });

  test('null field resets the setting', async () => {
    const harness = createHarness('2');
    await harness.send('create', 'metadata/app', {
      max_versions: 5,
      cas_required: true,
      delete_version_after: '1h',
      custom_metadata: { owner: 'a' },
    });

    await harness.send('patch', 'metadata/app', {
      max_versions: null,
      cas_required: null,
      delete_version_after: null,
      custom_metadata: null,
    });

    const metadata = await readMetadata(harness, 'app');
    assert.equal(metadata.max_versions, 0);
    assert.equal(metadata.cas_required, false);
    assert.equal(metadata.delete_version_after, '0s');
    assert.equal(metadata.custom_metadata, null);
  });

  test('merged result over 64 keys is rejected', async () => {
    const harness = createHarness('2');
    const stored = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`old${i}`, 'v']));
    await harness.send('create', 'metadata/app', { custom_metadata: stored });
    const added = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`new${i}`, 'v']));

    await assertRejectedUnchanged(
      harness,
      harness.send('patch', 'metadata/app', { custom_metadata: added }),
      'custom_metadata validation failed: payload must contain at most 64 keys, provided 65',
    );
  });

  test('missing key is 404', async () => {
    const harness = createHarness('2');

    await assertRejects(
      harness.send('patch', 'metadata/app', { max_versions: 1 }),
      404,
      'metadata of secret "app" not found: a patch changes an existing key, so write it first',
    );
  });

  test('negative max_versions is rejected', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });

    await assertRejectedUnchanged(
      harness,
      harness.send('patch', 'metadata/app', { max_versions: -1 }),
      'invalid field "max_versions": -1 is negative: use 0 for the engine setting or a positive number of versions',
    );
  });
});

describe('metadata delete', () => {
  test('removes every version and the metadata', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });
    await put(harness, 'app', { a: 2 });
    await put(harness, 'other', { b: 1 });

    assert.equal(await harness.send('delete', 'metadata/app'), null);

    await assertRejects(harness.send('read', 'metadata/app'), 404, 'metadata of secret "app" not found');
    await assertRejects(harness.send('read', 'data/app', { version: 1 }), 404, 'version 1 of secret "app" not found');
    const keys = [...(await harness.snapshot()).keys()].sort();
    assert.deepEqual(keys, [`${MOUNT_PREFIX}metadata/other`, MOUNT_PREFIX + versionKey('other', 1)].sort());
  });

  test('key starts again at version 1', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });
    await put(harness, 'app', { a: 2 });
    await harness.send('delete', 'metadata/app');

    const written = await put(harness, 'app', { a: 3 });

    assert.equal(written.version, 1);
    await assertRejects(harness.send('read', 'data/app', { version: 2 }), 404, 'version 2 of secret "app" not found');
  });

  test('interrupted delete leaves nothing readable', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });
    await put(harness, 'app', { a: 2 });
    harness.faults.failNext('delete', /\/versions\//);

    await assert.rejects(harness.send('delete', 'metadata/app'), { message: /^injected delete failure/ });

    await assertRejects(harness.send('read', 'data/app'), 404, 'secret "app" not found');
    await assertRejects(harness.send('list', 'metadata/'), 404, 'no secrets found under "secret/metadata/"');
    assert.equal((await harness.snapshot()).size, 2);
    await harness.send('delete', 'metadata/app');
    assert.equal((await harness.snapshot()).size, 0);
  });
});

describe('metadata list', () => {
  test('lists keys and folders', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });
    await put(harness, 'team/db', { a: 1 });
    await put(harness, 'team/cache/redis', { a: 1 });
    await harness.send('create', 'metadata/empty', { max_versions: 1 });

    assert.deepEqual(dataOf(await harness.send('list', 'metadata/')), { keys: ['app', 'empty', 'team/'] });
    assert.deepEqual(dataOf(await harness.send('list', 'metadata')), { keys: ['app', 'empty', 'team/'] });
    assert.deepEqual(dataOf(await harness.send('list', 'metadata/team/')), { keys: ['cache/', 'db'] });
    assert.deepEqual(dataOf(await harness.send('list', 'metadata/team')), { keys: ['cache/', 'db'] });
  });

  test('key and folder of the same name both show', async () => {
    const harness = createHarness('2');
    await put(harness, 'a', { x: 1 });
    await put(harness, 'a/b', { x: 1 });

    assert.deepEqual(dataOf(await harness.send('list', 'metadata/')), { keys: ['a', 'a/'] });
  });

  test('empty folder is 404', async () => {
    const harness = createHarness('2');

    await assertRejects(harness.send('list', 'metadata/'), 404, 'no secrets found under "secret/metadata/"');
    await assertRejects(harness.send('list', 'metadata/nothing/'), 404, 'no secrets found under "secret/metadata/nothing/"');
  });

  test('deleted key leaves the listing', async () => {
    const harness = createHarness('2');
    await put(harness, 'app', { a: 1 });
    await put(harness, 'keep', { a: 1 });

    await harness.send('delete', 'metadata/app');

    assert.deepEqual(dataOf(await harness.send('list', 'metadata/')), { keys: ['keep'] });
  });

  test('folder over the path limits is rejected', async () => {
    const harness = createHarness('2');
    const deep = `${Array.from({ length: 101 }, () => 'a').join('/')}/`;

    await assertRejects(
      harness.send('list', `metadata/${deep}`),
      400,
      `invalid folder "${deep.slice(0, 100)}..." (202 characters): it has 101 segments, more than the maximum of 100: ` +
        'use fewer "/"-separated segments',
    );
    await assertRejects(
      harness.send('list', `metadata/${'x'.repeat(256)}/`),
      400,
      `invalid folder "${'x'.repeat(100)}..." (257 characters): segment 1 is 256 bytes long, more than the maximum of 255 bytes: shorten it`,
    );
  });

  test('write over the path limits is rejected', async () => {
    const harness = createHarness('2');

    await assertRejectedUnchanged(
      harness,
      harness.send('create', `metadata/${'x'.repeat(256)}`, { max_versions: 1 }),
      `invalid path "${'x'.repeat(100)}..." (256 characters): segment 1 is 256 bytes long, more than the maximum of 255 bytes: shorten it`,
    );
  });

  test('invalid folder is rejected', async () => {
    const harness = createHarness('2');

    await assertRejects(harness.send('list', 'metadata/a/../'), 400, 'invalid folder "a/../": remove the ".." segment');
  });
});

describe('metadata existence check', () => {
  test('reports whether the key exists', async () => {
    const harness = createHarness('2');

    assert.deepEqual(await harness.exists('create', 'metadata/app'), { checkFound: true, exists: false });
    await harness.send('create', 'metadata/app', { max_versions: 2 });
    assert.deepEqual(await harness.exists('update', 'metadata/app'), { checkFound: true, exists: true });
  });
});
