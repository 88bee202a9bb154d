import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addSeconds, formatTimestamp, parseTimestamp } from './clock.js';
import { assertRejectedUnchanged, createHarness, dataOf, MOUNT_PREFIX } from './test-support.js';

describe('config', () => {
  test('defaults before any write', async () => {
    const harness = createHarness('2');

    const config = dataOf(await harness.send('read', 'config'));

    assert.deepEqual(config, { cas_required: false, delete_version_after: '0s', max_versions: 0 });
  });

  test('write then read', async () => {
    const harness = createHarness('2');

    const response = await harness.send('update', 'config', { max_versions: 5, cas_required: true, delete_version_after: '3h25m19s' });

    assert.equal(response, null);
    assert.deepEqual(dataOf(await harness.send('read', 'config')), {
      cas_required: true,
      delete_version_after: '3h25m19s',
      max_versions: 5,
    });
  });

  test('changes only the fields sent', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { max_versions: 5, cas_required: true });

    await harness.send('update', 'config', { delete_version_after: 90 });

    assert.deepEqual(dataOf(await harness.send('read', 'config')), {
      cas_required: true,
      delete_version_after: '1m30s',
      max_versions: 5,
    });
  });

  test('negative delete_version_after disables it', async () => {
    const harness = createHarness('2');

    await harness.send('update', 'config', { delete_version_after: '-5m' });

    assert.equal(dataOf(await harness.send('read', 'config')).delete_version_after, '-1s');
  });

  test('zero delete_version_after clears it', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { delete_version_after: '1h' });

    await harness.send('update', 'config', { delete_version_after: '0s' });

    assert.equal(dataOf(await harness.send('read', 'config')).delete_version_after, '0s');
  });

  test('stored under config', async () => {
    const harness = createHarness('2');

    await harness.send('update', 'config', { max_versions: 3 });

    const entry = await harness.storage.get(`${MOUNT_PREFIX}config`);
    assert.deepEqual(JSON.parse(String(entry?.value)), { maxVersions: 3, casRequired: false, deleteVersionAfter: 0 });
  });

  test('write without fields stores nothing', async () => {
    const harness = createHarness('2');

    assert.equal(await harness.send('update', 'config', {}), null);
    assert.equal((await harness.snapshot()).size, 0);
  });

  test('invalidate rereads config from storage', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { max_versions: 3 });
    // Another node changes the entry, then the server reports the key.
    await harness.storage.put({
      key: `${MOUNT_PREFIX}config`,
      value: Buffer.from('{"maxVersions":8,"casRequired":true,"deleteVersionAfter":0}'),
    });
    assert.equal(dataOf(await harness.send('read', 'config')).max_versions, 3);

    harness.backend.invalidate('config');

    assert.equal(dataOf(await harness.send('read', 'config')).max_versions, 8);
  });

  test('invalid values are rejected', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { max_versions: 4 });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ max_versions: -1 }, 'invalid field "max_versions": -1 is negative: use 0 for the default of 10 or a positive number of versions'],
      [{ max_versions: 'ten' }, 'invalid field "max_versions": expected an integer, got "ten"'],
      [{ cas_required: 'sometimes' }, 'invalid field "cas_required": expected a boolean, got "sometimes"'],
      [
        { delete_version_after: 'soon' },
        'invalid field "delete_version_after": expected a duration such as 30, "30s", "90m" or "1h", got "soon"',
      ],
      [{ colour: 'red' }, 'unknown field "colour"'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, harness.send('update', 'config', body), message);
    }
  });

  test('delete_version_after past the Go maximum is rejected', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { delete_version_after: '1h' });

    for (const value of ['99999999h', '9999999999999999999999s', '2562047h47m17s', '-99999999h']) {
      await assertRejectedUnchanged(
        harness,
        harness.send('update', 'config', { delete_version_after: value }),
        `invalid field "delete_version_after": "${value}" is longer than the maximum of 2562047h47m16s: use a shorter duration`,
      );
    }

    assert.equal(dataOf(await harness.send('read', 'config')).delete_version_after, '1h0m0s');
  });

  test('delete_version_after at the Go maximum is accepted', async () => {
    const harness = createHarness('2');

    await harness.send('update', 'config', { delete_version_after: '2562047h47m16s' });
    const written = dataOf(await harness.send('update', 'data/app', { data: { a: 1 } }));

    assert.equal(dataOf(await harness.send('read', 'config')).delete_version_after, '2562047h47m16s');
    const expected = formatTimestamp(addSeconds(parseTimestamp(String(written.created_time)), 9_223_372_036));
    assert.equal(written.deletion_time, expected);
    assert.match(expected, /^2316-04-13T/);
    assert.deepEqual(dataOf(await harness.send('read', 'data/app')).data, { a: 1 });
  });

  test('negative delete_version_after at the Go maximum disables it', async () => {
    const harness = createHarness('2');

    await harness.send('update', 'config', { delete_version_after: '-2562047h47m16s' });

    assert.equal(dataOf(await harness.send('read', 'config')).delete_version_after, '-1s');
  });

  test('max_versions past the safe integer range is rejected', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'config', { max_versions: 4 });

    const maximum = 'is more than the maximum of 9007199254740991: use 0 for the default of 10 or a positive number of versions';
    const cases: Array<[unknown, string]> = [
      [1e22, `invalid field "max_versions": 1e+22 ${maximum}`],
      [2 ** 53, `invalid field "max_versions": 9007199254740992 ${maximum}`],
      // Digits past the range are not rounded to a double first, so the message shows them as sent.
      [
        '10000000000000000000000',
        'invalid field "max_versions": the number 10000000000000000000000 is too large: expected an integer from -9007199254740991 to 9007199254740991',
      ],
      [
        12345678901234567890n,
        'invalid field "max_versions": the number 12345678901234567890 is too large: expected an integer from -9007199254740991 to 9007199254740991',
      ],
    ];
    for (const [value, message] of cases) {
      await assertRejectedUnchanged(harness, harness.send('update', 'config', { max_versions: value }), message);
    }

    assert.equal(dataOf(await harness.send('read', 'config')).max_versions, 4);
  });

  test('max_versions at the safe integer maximum is accepted', async () => {
    const harness = createHarness('2');

    await harness.send('update', 'config', { max_versions: Number.MAX_SAFE_INTEGER });

    assert.equal(dataOf(await harness.send('read', 'config')).max_versions, Number.MAX_SAFE_INTEGER);
  });

  test('config has no existence check', async () => {
    const harness = createHarness('2');

    assert.deepEqual(await harness.exists('update', 'config'), { checkFound: false, exists: false });
  });
});
