import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, createUser, dataOf } from './test-support.js';

describe('users/:username/password', () => {
  test('replaces the password and keeps settings', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'old-pw', { token_policies: 'dev' });

    assert.equal(await harness.send('update', 'users/alice/password', { password: 'new-pw' }), null);

    await assert.rejects(harness.send('update', 'login/alice', { password: 'old-pw' }));
    const login = await harness.send('update', 'login/alice', { password: 'new-pw' });
    assert.deepEqual(login?.auth?.policies, ['dev']);
    assert.deepEqual(dataOf(await harness.send('read', 'users/alice')).token_policies, ['dev']);
  });

  test('missing password is rejected', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw');

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'users/alice/password', {}),
      400,
      'missing password: set "password" to the new password of user "alice"',
    );
  });

  test('unknown user is not found', async () => {
    const harness = await createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'users/bob/password', { password: 'pw' }), 404, 'username "bob" does not exist');
  });
});
