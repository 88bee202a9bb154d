import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, createHarness, createRole, dataOf, generateSecretId, login, MOUNT_PREFIX } from './test-support.js';

describe('secret ID lookup and destroy', () => {
  test('lookup returns the settings, not the secret ID', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { secret_id_ttl: 600, secret_id_num_uses: 4 });
    const { secretId, accessor } = await generateSecretId(harness, 'web', { metadata: { env: 'prod' }, cidr_list: '127.0.0.0/8' });

    const data = dataOf(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: secretId }));

    assert.deepEqual(data, {
      secret_id_accessor: accessor,
      secret_id_num_uses: 4,
      secret_id_ttl: 600,
      creation_time: '2024-01-02T03:04:05.000Z',
      expiration_time: '2024-01-02T03:14:05.000Z',
      last_updated_time: '2024-01-02T03:04:05.000Z',
      metadata: { env: 'prod' },
      cidr_list: ['127.0.0.0/8'],
      token_bound_cidrs: [],
    });
  });

  test('a secret ID without TTL has the zero expiration time', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');
    const { secretId } = await generateSecretId(harness, 'web');

    const data = dataOf(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: secretId }));

    assert.equal(data.expiration_time, '0001-01-01T00:00:00Z');
    assert.equal(data.secret_id_ttl, 0);
  });

  test('lookup by accessor matches lookup by secret ID', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');
    const { secretId, accessor } = await generateSecretId(harness, 'web');

    const bySecret = dataOf(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: secretId }));
    const byAccessor = dataOf(await harness.send('update', 'role/web/secret-id-accessor/lookup', { secret_id_accessor: accessor }));

    assert.deepEqual(byAccessor, bySecret);
  });

  test('lookup shows remaining uses after a login', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { secret_id_num_uses: 3 });
    const { secretId } = await generateSecretId(harness, 'web');
    harness.clock.advance(5);

    await login(harness, roleId, secretId);

    const data = dataOf(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: secretId }));
    assert.equal(data.secret_id_num_uses, 2);
    assert.equal(data.last_updated_time, '2024-01-02T03:04:10.000Z');
  });

  test('unknown secret ID lookup is empty', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');

    assert.equal(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: 'nope' }), null);
  });

  test('another role cannot reach a secret ID', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');
    await createRole(harness, 'db');
    const { secretId, accessor } = await generateSecretId(harness, 'web');

    assert.equal(await harness.send('update', 'role/db/secret-id/lookup', { secret_id: secretId }), null);
    assert.equal(await harness.send('update', 'role/db/secret-id-accessor/lookup', { secret_id_accessor: accessor }), null);
    await harness.send('update', 'role/db/secret-id/destroy', { secret_id: secretId });
    await harness.send('update', 'role/db/secret-id-accessor/destroy', { secret_id_accessor: accessor });

    assert.ok(dataOf(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: secretId })));
  });

  test('destroy by secret ID, with POST or DELETE', async () => {
    for (const operation of ['update', 'delete'] as const) {
      const harness = createHarness();
      const roleId = await createRole(harness, 'web');
      const { secretId } = await generateSecretId(harness, 'web');

      assert.equal(await harness.send(operation, 'role/web/secret-id/destroy', { secret_id: secretId }), null);

      assert.equal(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: secretId }), null);
      await assertRejects(login(harness, roleId, secretId), 400, 'invalid role or secret ID');
      const keys = [...(await harness.snapshot()).keys()].filter((key) => !key.startsWith(`${MOUNT_PREFIX}role`));
      assert.deepEqual(keys, [`${MOUNT_PREFIX}salt`]);
    }
  });

  test('destroy by accessor, with POST or DELETE', async () => {
    for (const operation of ['update', 'delete'] as const) {
      const harness = createHarness();
      const roleId = await createRole(harness, 'web');
      const { secretId, accessor } = await generateSecretId(harness, 'web');

      assert.equal(await harness.send(operation, 'role/web/secret-id-accessor/destroy', { secret_id_accessor: accessor }), null);

      await assertRejects(login(harness, roleId, secretId), 400, 'invalid role or secret ID');
      assert.equal(await harness.send('list', 'role/web/secret-id'), null);
    }
  });

  test('destroy of an unknown secret ID succeeds', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');

    assert.equal(await harness.send('update', 'role/web/secret-id/destroy', { secret_id: 'nope' }), null);
  });

  test('unknown accessor is not found', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');

    for (const path of ['role/web/secret-id-accessor/lookup', 'role/web/secret-id-accessor/destroy']) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, { secret_id_accessor: 'abc' }), 404, 'failed to find accessor entry for secret_id_accessor: "abc"');
    }
  });

  test('missing values are rejected', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');

    for (const path of ['role/web/secret-id/lookup', 'role/web/secret-id/destroy']) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, {}), 400, 'missing secret_id: send "secret_id" with the secret ID to act on');
    }
    for (const path of ['role/web/secret-id-accessor/lookup', 'role/web/secret-id-accessor/destroy']) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, {}), 400, 'missing secret_id_accessor: send "secret_id_accessor" with the accessor to act on');
    }
  });

  test('unknown role is not found', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'role/nope/secret-id/lookup', { secret_id: 'x' }), 404, 'role "nope" does not exist');
  });

  test('a secret ID without its accessor entry is invalid and removed', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');
    const { secretId } = await generateSecretId(harness, 'web');
    const accessorKey = [...(await harness.snapshot()).keys()].find((key) => key.startsWith(`${MOUNT_PREFIX}accessor/`));
    assert.ok(accessorKey !== undefined);
    await harness.storage.delete(accessorKey);

    await assertRejects(harness.send('update', 'role/web/secret-id/lookup', { secret_id: secretId }), 400, 'invalid secret id');

    assert.equal(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: secretId }), null);
  });
});
