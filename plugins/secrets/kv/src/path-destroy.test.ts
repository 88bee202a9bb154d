import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { versionKey } from './store.js';
import { assertRejectedUnchanged, createHarness, dataOf, MOUNT_PREFIX, rawJson } from './test-support.js';

describe('destroy versions', () => {
  test('removes data and marks versions destroyed', async () => {
    const harness = createHarness('2');
    for (let i = 1; i <= 3; i += 1) await harness.send('update', 'data/app', { data: { n: i } });

    assert.equal(await harness.send('update', 'destroy/app', { versions: [1, 2] }), null);

    const versions = dataOf(await harness.send('read', 'metadata/app')).versions as Record<string, Record<string, unknown>>;
    assert.equal(versions['1'].destroyed, true);
    assert.equal(versions['2'].destroyed, true);
    assert.equal(versions['3'].destroyed, false);
    assert.equal(await harness.storage.get(MOUNT_PREFIX + versionKey('app', 1)), null);
    assert.equal(await harness.storage.get(MOUNT_PREFIX + versionKey('app', 2)), null);
    assert.equal(rawJson(await harness.send('read', 'data/app', { version: 2 })).status, 404);
    assert.deepEqual(dataOf(await harness.send('read', 'data/app')).data, { n: 3 });
  });

  test('destroys a soft-deleted version', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'data/app', { data: { n: 1 } });
    await harness.send('delete', 'data/app');

    await harness.send('update', 'destroy/app', { versions: [1] });

    const versions = dataOf(await harness.send('read', 'metadata/app')).versions as Record<string, Record<string, unknown>>;
    assert.equal(versions['1'].destroyed, true);
    assert.equal(await harness.storage.get(MOUNT_PREFIX + versionKey('app', 1)), null);
  });

  test('interrupted destroy hides the version', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'data/app', { data: { n: 1 } });
    harness.faults.failNext('delete', /\/versions\//);

    await assert.rejects(harness.send('update', 'destroy/app', { versions: [1] }), { message: /^injected delete failure/ });

    const { status, body } = rawJson(await harness.send('read', 'data/app'));
    assert.equal(status, 404);
    assert.equal(((body.data as Record<string, unknown>).metadata as Record<string, unknown>).destroyed, true);
    assert.notEqual(await harness.storage.get(MOUNT_PREFIX + versionKey('app', 1)), null);
    await harness.send('update', 'destroy/app', { versions: [1] });
    assert.equal(await harness.storage.get(MOUNT_PREFIX + versionKey('app', 1)), null);
  });

  test('missing key is a no-op', async () => {
    const harness = createHarness('2');

    assert.equal(await harness.send('update', 'destroy/app', { versions: [1] }), null);
    assert.equal((await harness.snapshot()).size, 0);
  });

  test('invalid versions are rejected', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'data/app', { data: { n: 1 } });

    await assertRejectedUnchanged(
      harness,
      harness.send('update', 'destroy/app', { versions: ['1', 'x'] }),
      'invalid field "versions": "x" is not a version number: use positive integers, as in [1, 2]',
    );
    await assertRejectedUnchanged(
      harness,
      harness.send('update', 'destroy/app', { versions: [] }),
      'no version number provided: list the versions in the "versions" field, as in [1, 2]',
    );
  });
});
