import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, createRole, dataOf, generateSecretId, login, MAX_LEASE_TTL, MOUNT_PREFIX } from './test-support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('role/:role_name/secret-id', () => {
  test('generate returns Vault\'s fields', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { secret_id_ttl: 600, secret_id_num_uses: 50 });

    const { secretId, accessor, data } = await generateSecretId(harness, 'web');

    assert.deepEqual(Object.keys(data).sort(), ['secret_id', 'secret_id_accessor', 'secret_id_num_uses', 'secret_id_ttl']);
    assert.match(secretId, UUID);
    assert.match(accessor, UUID);
    assert.notEqual(secretId, accessor);
    assert.equal(data.secret_id_ttl, 600);
    assert.equal(data.secret_id_num_uses, 50);
  });

  test('storage holds no secret ID, role ID or accessor in clear', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web');
    const { secretId, accessor } = await generateSecretId(harness, 'web');

    const snapshot = await harness.snapshot();

    for (const [key, value] of snapshot) {
      for (const secret of [secretId, accessor, roleId]) {
        assert.ok(!key.includes(secret), `key ${key} contains a credential`);
      }
      assert.ok(!value.includes(secretId), `value at ${key} contains the secret ID`);
    }
    const secretIdKeys = [...snapshot.keys()].filter((key) => key.startsWith(`${MOUNT_PREFIX}secret_id/`));
    assert.equal(secretIdKeys.length, 1);
    assert.match(secretIdKeys[0], /^auth\/9a8b7c6d\/secret_id\/[0-9a-f]{64}\/[0-9a-f]{64}$/);
  });

  test('local secret IDs use their own folders', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { local_secret_ids: true });

    await generateSecretId(harness, 'web');

    const keys = [...(await harness.snapshot()).keys()];
    assert.equal(keys.filter((key) => key.startsWith(`${MOUNT_PREFIX}secret_id_local/`)).length, 1);
    assert.equal(keys.filter((key) => key.startsWith(`${MOUNT_PREFIX}accessor_local/`)).length, 1);
    assert.equal(keys.filter((key) => key.startsWith(`${MOUNT_PREFIX}secret_id/`)).length, 0);
  });

  test('request overrides within the role limits', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { secret_id_ttl: 600, secret_id_num_uses: 10 });

    const { data } = await generateSecretId(harness, 'web', { ttl: '5m', num_uses: 2 });

    assert.equal(data.secret_id_ttl, 300);
    assert.equal(data.secret_id_num_uses, 2);
  });

  test('TTL is capped at the mount max lease TTL', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');

    const { data } = await generateSecretId(harness, 'web', { ttl: '72h' });

    assert.equal(data.secret_id_ttl, MAX_LEASE_TTL);
  });

  test('metadata and CIDRs are stored', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { secret_id_bound_cidrs: '10.0.0.0/8', token_bound_cidrs: '10.0.0.0/8' });

    const { secretId } = await generateSecretId(harness, 'web', {
      metadata: '{"team": "payments"}',
      cidr_list: '10.1.0.0/16',
      token_bound_cidrs: ['10.1.2.0/24'],
    });

    const data = dataOf(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: secretId }));
    assert.deepEqual(data.metadata, { team: 'payments' });
    assert.deepEqual(data.cidr_list, ['10.1.0.0/16']);
    assert.deepEqual(data.token_bound_cidrs, ['10.1.2.0/24']);
  });

  test('metadata may be an object', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');

    const { secretId } = await generateSecretId(harness, 'web', { metadata: { env: 'prod' } });

    const data = dataOf(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: secretId }));
    assert.deepEqual(data.metadata, { env: 'prod' });
  });

  test('invalid requests are rejected', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', {
      secret_id_ttl: 600,
      secret_id_num_uses: 5,
      secret_id_bound_cidrs: '10.0.0.0/8',
      token_bound_cidrs: '10.0.0.0/16',
    });
    const cases: [Record<string, unknown>, string][] = [
      [{ num_uses: -1 }, 'num_uses cannot be negative: got -1, use 0 for unlimited'],
      [{ num_uses: 6 }, "num_uses cannot be higher than the role's secret_id_num_uses: got 6, the role allows 5"],
      [{ num_uses: 0 }, "num_uses cannot be higher than the role's secret_id_num_uses: got 0, the role allows 5"],
      [{ ttl: 601 }, "ttl cannot be longer than the role's secret_id_ttl: got 601, the role allows 600"],
      [{ ttl: 0 }, "ttl cannot be longer than the role's secret_id_ttl: got 0, the role allows 600"],
      [{ cidr_list: '192.168.0.0/16' }, 'invalid "cidr_list" entry "192.168.0.0/16": it must lie inside the role\'s "secret_id_bound_cidrs" (10.0.0.0/8)'],
      [{ cidr_list: '10.0.0.0/7' }, 'invalid "cidr_list" entry "10.0.0.0/7": it must lie inside the role\'s "secret_id_bound_cidrs" (10.0.0.0/8)'],
      [{ cidr_list: 'ten' }, 'invalid "cidr_list" entry "ten": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
      [{ token_bound_cidrs: '10.1.0.0/16' }, 'invalid "token_bound_cidrs" entry "10.1.0.0/16": it must lie inside the role\'s "token_bound_cidrs" (10.0.0.0/16)'],
      [{ metadata: { count: 3 } }, 'failed to parse metadata: the value of "count" must be a string, got 3'],
      [{ metadata: 'not json' }, 'invalid field "metadata": expected an object, got "not json"'],
    ];

    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'role/web/secret-id', data), 400, message);
    }
  });

  test('role without bind_secret_id issues none', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { bind_secret_id: false, secret_id_bound_cidrs: '127.0.0.1' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'role/web/secret-id', {}),
      400,
      'bind_secret_id is not set on the role: set it on role "web" to issue secret IDs',
    );
  });

  test('unknown role is not found', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'role/nope/secret-id', {}), 404, 'role "nope" does not exist');
    await assertRejectedUnchanged(harness, () => harness.send('list', 'role/nope/secret-id'), 404, 'role "nope" does not exist');
  });

  test('list returns the accessors', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');
    await createRole(harness, 'db');
    assert.equal(await harness.send('list', 'role/web/secret-id/'), null);

    const first = await generateSecretId(harness, 'web');
    const second = await generateSecretId(harness, 'web');
    await generateSecretId(harness, 'db');

    const keys = dataOf(await harness.send('list', 'role/web/secret-id')).keys as string[];
    assert.deepEqual([...keys].sort(), [first.accessor, second.accessor].sort());
  });
});

describe('role/:role_name/custom-secret-id', () => {
  test('registers the given secret ID', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { secret_id_num_uses: 3 });

    const data = dataOf(await harness.send('update', 'role/web/custom-secret-id', { secret_id: 'my-own-secret', ttl: 60 }));

    assert.equal(data.secret_id, 'my-own-secret');
    assert.match(String(data.secret_id_accessor), UUID);
    assert.equal(data.secret_id_ttl, 60);
    assert.equal(data.secret_id_num_uses, 3);
    assert.equal((await login(harness, roleId, 'my-own-secret'))?.auth?.alias?.name, roleId);
  });

  test('a registered secret ID cannot be registered again', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');
    await harness.send('update', 'role/web/custom-secret-id', { secret_id: 'dup' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'role/web/custom-secret-id', { secret_id: 'dup' }),
      400,
      'secret_id is already registered on role "web": register a different one',
    );
  });

  test('missing or oversized secret ID is rejected', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');

    await assertRejectedUnchanged(harness, () => harness.send('update', 'role/web/custom-secret-id', {}), 400, 'missing secret_id: send "secret_id" with the secret ID to register');
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'role/web/custom-secret-id', { secret_id: 'x'.repeat(4097) }),
      400,
      'secret_id is longer than maximum of 4096 bytes: use a shorter secret ID',
    );
  });
});
