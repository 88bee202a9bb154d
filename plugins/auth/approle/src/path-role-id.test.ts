import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, createHarness, createRole, dataOf, generateSecretId, login } from './test-support.js';

describe('role/:role_name/role-id', () => {
  test('read', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { role_id: 'known' });

    assert.deepEqual(dataOf(await harness.send('read', 'role/web/role-id')), { role_id: 'known' });
    assert.equal(await harness.send('read', 'role/nope/role-id'), null);
  });

  test('update replaces the role ID for logins', async () => {
    const harness = createHarness();
    const oldId = await createRole(harness, 'web');
    const { secretId } = await generateSecretId(harness, 'web');

    assert.equal(await harness.send('update', 'role/web/role-id', { role_id: 'new-id' }), null);

    await assertRejects(login(harness, oldId, secretId), 400, 'invalid role or secret ID');
    const response = await login(harness, 'new-id', secretId);
    assert.equal(response?.auth?.alias?.name, 'new-id');
  });

  test('missing role_id is rejected', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');

    await assertRejectedUnchanged(harness, () => harness.send('update', 'role/web/role-id', {}), 400, 'missing role_id: send "role_id" with the new role ID');
  });

  test('role ID of another role is rejected', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');
    await createRole(harness, 'db', { role_id: 'db-id' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'role/web/role-id', { role_id: 'db-id' }),
      400,
      'role_id already in use: another role has this role ID, choose a different "role_id"',
    );
  });

  test('unknown role is not found', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'role/nope/role-id', { role_id: 'x' }), 404, 'role "nope" does not exist');
  });
});
