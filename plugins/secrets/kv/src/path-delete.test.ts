import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addSeconds, formatTimestamp } from './clock.js';
import { versionKey } from './store.js';
import { assertRejectedUnchanged, createHarness, dataOf, MOUNT_PREFIX, rawJson, type Harness } from './test-support.js';

const TIME = /^2024-01-02T03:04:05\.\d{1,9}Z$/;

async function writeVersions(harness: Harness, path: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i += 1) await harness.send('update', `data/${path}`, { data: { n: i } });
}

async function versionStates(harness: Harness, path: string) {
  return dataOf(await harness.send('read', `metadata/${path}`)).versions as Record<string, Record<string, unknown>>;
}

describe('delete versions', () => {
  test('soft-deletes the listed versions', async () => {
    const harness = createHarness('2');
    await writeVersions(harness, 'app', 3);

    assert.equal(await harness.send('update', 'delete/app', { versions: [1, 3] }), null);

    const versions = await versionStates(harness, 'app');
    assert.match(String(versions['1'].deletion_time), TIME);
    assert.equal(versions['2'].deletion_time, '');
    assert.match(String(versions['3'].deletion_time), TIME);
    assert.equal(rawJson(await harness.send('read', 'data/app', { version: 1 })).status, 404);
    assert.deepEqual(dataOf(await harness.send('read', 'data/app', { version: 2 })).data, { n: 2 });
    assert.notEqual(await harness.storage.get(MOUNT_PREFIX + versionKey('app', 1)), null);
  });

  test('accepts a comma-separated string', async () => {
    const harness = createHarness('2');
    await writeVersions(harness, 'app', 2);

    await harness.send('update', 'delete/app', { versions: '1,2' });

    const versions = await versionStates(harness, 'app');
    assert.match(String(versions['1'].deletion_time), TIME);
    assert.match(String(versions['2'].deletion_time), TIME);
  });

  test('skips missing and destroyed versions', async () => {
    const harness = createHarness('2');
    await writeVersions(harness, 'app', 2);
    await harness.send('update', 'destroy/app', { versions: [1] });

    await harness.send('update', 'delete/app', { versions: [1, 9] });

    const versions = await versionStates(harness, 'app');
    assert.equal(versions['1'].deletion_time, '');
    assert.equal(versions['1'].destroyed, true);
    assert.equal(versions['9'], undefined);
  });

  test('moves a scheduled deletion to now', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { delete_version_after: '1h' });
    await writeVersions(harness, 'app', 1);
    const scheduled = String((await versionStates(harness, 'app'))['1'].deletion_time);

    await harness.send('update', 'delete/app', { versions: [1] });

    const deleted = String((await versionStates(harness, 'app'))['1'].deletion_time);
    assert.ok(deleted < scheduled, `${deleted} should be before ${scheduled}`);
    assert.equal(rawJson(await harness.send('read', 'data/app')).status, 404);
  });

  test('missing key is a no-op', async () => {
    const harness = createHarness('2');

    assert.equal(await harness.send('update', 'delete/app', { versions: [1] }), null);
    assert.equal((await harness.snapshot()).size, 0);
  });

  test('invalid versions are rejected', async () => {
    const harness = createHarness('2');
    await writeVersions(harness, 'app', 1);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'no version number provided: list the versions in the "versions" field, as in [1, 2]'],
      [{ versions: [] }, 'no version number provided: list the versions in the "versions" field, as in [1, 2]'],
      [{ versions: ['one'] }, 'invalid field "versions": "one" is not a version number: use positive integers, as in [1, 2]'],
      [{ versions: [0] }, 'invalid field "versions": "0" is not a version number: use positive integers, as in [1, 2]'],
      [{ versions: '1,-2' }, 'invalid field "versions": "-2" is not a version number: use positive integers, as in [1, 2]'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, harness.send('update', 'delete/app', body), message);
    }
  });

  test('invalid path is rejected', async () => {
    const harness = createHarness('2');

    await assertRejectedUnchanged(
      harness,
      harness.send('update', 'delete/', { versions: [1] }),
      'missing path: add the secret\'s name after the mount, as in "secret/data/my-app"',
    );
  });
});

describe('undelete versions', () => {
  test('restores deleted versions', async () => {
    const harness = createHarness('2');
    await writeVersions(harness, 'app', 2);
    await harness.send('update', 'delete/app', { versions: [1, 2] });

    assert.equal(await harness.send('update', 'undelete/app', { versions: [2] }), null);

    const versions = await versionStates(harness, 'app');
    assert.match(String(versions['1'].deletion_time), TIME);
    assert.equal(versions['2'].deletion_time, '');
    assert.deepEqual(dataOf(await harness.send('read', 'data/app')).data, { n: 2 });
  });

  test('schedules a new deletion from now', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { delete_version_after: '10m' });
    await writeVersions(harness, 'app', 1);
    harness.clock.advance(3600);
    const undeleteFrom = harness.clock.now();

    await harness.send('update', 'undelete/app', { versions: [1] });

    const deletionTime = String((await versionStates(harness, 'app'))['1'].deletion_time);
    // The handler reads the clock once, one tick after the read above.
    assert.equal(deletionTime, formatTimestamp(addSeconds(undeleteFrom + 1n, 600)));
    assert.deepEqual(dataOf(await harness.send('read', 'data/app')).data, { n: 1 });
  });

  test('cannot restore a destroyed version', async () => {
    const harness = createHarness('2');
    await writeVersions(harness, 'app', 1);
    await harness.send('update', 'destroy/app', { versions: [1] });

    await harness.send('update', 'undelete/app', { versions: [1] });

    assert.equal((await versionStates(harness, 'app'))['1'].destroyed, true);
    assert.equal(rawJson(await harness.send('read', 'data/app')).status, 404);
  });

  test('missing versions are rejected', async () => {
    const harness = createHarness('2');
    await writeVersions(harness, 'app', 1);

    await assertRejectedUnchanged(
      harness,
      harness.send('update', 'undelete/app', {}),
      'no version number provided: list the versions in the "versions" field, as in [1, 2]',
    );
  });
});
