import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, createUser, dataOf } from './test-support.js';

describe('users/:username/policies', () => {
  test('replaces the policies', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw', { token_policies: 'dev', token_ttl: 60 });

    assert.equal(await harness.send('update', 'users/alice/policies', { token_policies: 'ops,audit' }), null);

    const data = dataOf(await harness.send('read', 'users/alice'));
    assert.deepEqual(data.token_policies, ['ops', 'audit']);
    assert.equal(data.token_ttl, 60);
    const login = await harness.send('update', 'login/alice', { password: 'pw' });
    assert.deepEqual(login?.auth?.policies, ['ops', 'audit']);
  });

  test('accepts the deprecated policies field', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw');

    await harness.send('update', 'users/alice/policies', { policies: ['legacy'] });

    assert.deepEqual(dataOf(await harness.send('read', 'users/alice')).token_policies, ['legacy']);
  });

  test('empty list removes all policies', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw', { token_policies: 'dev' });

    await harness.send('update', 'users/alice/policies', { token_policies: [] });

    assert.deepEqual(dataOf(await harness.send('read', 'users/alice')).token_policies, []);
  });

  test('missing policies are rejected', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw', { token_policies: 'dev' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'users/alice/policies', {}),
      400,
      'missing token_policies: send the list of policies, or an empty list to remove them all',
    );
  });

  test('unknown user is not found', async () => {
    const harness = await createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'users/bob/policies', { token_policies: 'x' }), 404, 'username "bob" does not exist');
  });
});
