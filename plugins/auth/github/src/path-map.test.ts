import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness } from './test-support.js';

describe('map paths', () => {
  test('team write, read, list, delete', async () => {
    const harness = createHarness();

    await harness.send('update', 'map/teams/Developers', { value: 'dev, ops ,dev,,Read-Only' });
    await harness.send('create', 'map/teams/site-reliability', { value: 'sre' });

    assert.deepEqual((await harness.send('read', 'map/teams/developers'))?.data, { key: 'Developers', value: 'dev,ops,read-only' });
    assert.deepEqual((await harness.send('list', 'map/teams/'))?.data, { keys: ['developers', 'site-reliability'] });
    assert.deepEqual((await harness.send('read', 'map/teams'))?.data, { keys: ['developers', 'site-reliability'] });

    await harness.send('delete', 'map/teams/DEVELOPERS');

    assert.equal(await harness.send('read', 'map/teams/developers'), null);
    assert.deepEqual((await harness.send('list', 'map/teams'))?.data, { keys: ['site-reliability'] });
  });

  test('user map kept apart from teams', async () => {
    const harness = createHarness();

    await harness.send('update', 'map/users/alice', { value: 'alice-policy' });

    assert.deepEqual((await harness.send('read', 'map/users/alice'))?.data, { key: 'alice', value: 'alice-policy' });
    assert.equal(await harness.send('read', 'map/teams/alice'), null);
    assert.equal(await harness.send('list', 'map/teams'), null);
  });

  test('name outside vault pattern rejected', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'map/teams/site reliability', { value: 'sre' }), 'unsupported path "map/teams/site reliability"', 404);
  });

  test('root policy rejected unchanged', async () => {
    const harness = createHarness();
    await harness.send('update', 'map/teams/admins', { value: 'admin' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'map/teams/admins', { value: 'admin,root' }),
      'root policy cannot be granted by an auth method: remove "root" from "value"',
    );
  });

  test('non-string value rejected unchanged', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'map/users/alice', { value: { policies: ['a'] } }), 'invalid field "value": expected a string, got an object');
  });
});
