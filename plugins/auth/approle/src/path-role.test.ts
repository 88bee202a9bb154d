import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, createRole, dataOf, generateSecretId, login, MOUNT_PREFIX } from './test-support.js';

const DEFAULT_ROLE = {
  bind_secret_id: true,
  secret_id_bound_cidrs: [],
  secret_id_num_uses: 0,
  secret_id_ttl: 0,
  local_secret_ids: false,
  token_ttl: 0,
  token_max_ttl: 0,
  token_explicit_max_ttl: 0,
  token_period: 0,
  token_policies: [],
  policies: [],
  token_bound_cidrs: [],
  token_no_default_policy: false,
  token_num_uses: 0,
  token_type: 'default',
};

describe('role/:role_name', () => {
  test('create with defaults then read', async () => {
    const harness = createHarness();

    const roleId = await createRole(harness, 'web');

    assert.deepEqual(dataOf(await harness.send('read', 'role/web')), DEFAULT_ROLE);
    assert.match(roleId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('all fields round-trip', async () => {
    const harness = createHarness();

    await createRole(harness, 'web', {
      bind_secret_id: true,
      secret_id_bound_cidrs: '10.0.0.0/8,127.0.0.1',
      secret_id_num_uses: 5,
      secret_id_ttl: '10m',
      local_secret_ids: true,
      token_ttl: '20m',
      token_max_ttl: '30m',
      token_explicit_max_ttl: 3600,
      token_period: 0,
      token_policies: ['dev', 'ops'],
      token_bound_cidrs: ['10.1.0.0/16'],
      token_no_default_policy: true,
      token_num_uses: 7,
      token_type: 'service',
    });

    assert.deepEqual(dataOf(await harness.send('read', 'role/web')), {
      bind_secret_id: true,
      secret_id_bound_cidrs: ['10.0.0.0/8', '127.0.0.1'],
      secret_id_num_uses: 5,
      secret_id_ttl: 600,
      local_secret_ids: true,
      token_ttl: 1200,
      token_max_ttl: 1800,
      token_explicit_max_ttl: 3600,
      token_period: 0,
      token_policies: ['dev', 'ops'],
      policies: ['dev', 'ops'],
      token_bound_cidrs: ['10.1.0.0/16'],
      token_no_default_policy: true,
      token_num_uses: 7,
      token_type: 'service',
    });
  });

  test('update changes only the fields sent', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { token_policies: 'dev', secret_id_ttl: 60 });

    await harness.send('update', 'role/web', { token_ttl: 90 });

    const data = dataOf(await harness.send('read', 'role/web'));
    assert.deepEqual(data.token_policies, ['dev']);
    assert.equal(data.secret_id_ttl, 60);
    assert.equal(data.token_ttl, 90);
    assert.equal(dataOf(await harness.send('read', 'role/web/role-id')).role_id, roleId);
  });

  test('custom role_id at creation', async () => {
    const harness = createHarness();

    const roleId = await createRole(harness, 'web', { role_id: 'web-role-id' });

    assert.equal(roleId, 'web-role-id');
  });

  test('deprecated aliases', async () => {
    const harness = createHarness();

    await createRole(harness, 'web', { bound_cidr_list: '10.0.0.0/8', period: '1h', policies: 'legacy' });

    const data = dataOf(await harness.send('read', 'role/web'));
    assert.deepEqual(data.secret_id_bound_cidrs, ['10.0.0.0/8']);
    assert.equal(data.token_period, 3600);
    assert.deepEqual(data.token_policies, ['legacy']);
  });

  test('default- token types are adjusted with a warning', async () => {
    const harness = createHarness();

    const response = await harness.send('create', 'role/web', { token_type: 'default-service' });

    assert.deepEqual(response?.warnings, ['default-service has no useful meaning; adjusting to service']);
    assert.equal(dataOf(await harness.send('read', 'role/web')).token_type, 'service');
  });

  test('token_max_ttl above the mount max warns', async () => {
    const harness = createHarness();

    const response = await harness.send('create', 'role/web', { token_max_ttl: '48h' });

    assert.deepEqual(response?.warnings, ["token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' max TTL value will be truncated"]);
  });

  test('role names are lowercased', async () => {
    const harness = createHarness();

    await createRole(harness, 'WebApp');

    assert.ok(await harness.storage.get(`${MOUNT_PREFIX}role/webapp`));
    assert.ok(dataOf(await harness.send('read', 'role/WEBAPP')));
    assert.deepEqual(dataOf(await harness.send('list', 'role/')), { keys: ['webapp'] });
  });

  test('existence check tells create from update', async () => {
    const harness = createHarness();

    assert.deepEqual(await harness.exists('role/web'), { checkFound: true, exists: false });
    await createRole(harness, 'web');
    assert.deepEqual(await harness.exists('role/web'), { checkFound: true, exists: true });
  });

  test('list', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('list', 'role'), null);

    await createRole(harness, 'web');
    await createRole(harness, 'db');

    assert.deepEqual(dataOf(await harness.send('list', 'role/')), { keys: ['db', 'web'] });
  });

  test('read of an unknown role is empty', async () => {
    const harness = createHarness();

    assert.equal(await harness.send('read', 'role/nope'), null);
  });

  test('delete removes role, index and secret IDs', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web');
    const { secretId } = await generateSecretId(harness, 'web');
    await generateSecretId(harness, 'web');

    assert.equal(await harness.send('delete', 'role/web'), null);

    const keys = [...(await harness.snapshot()).keys()];
    assert.deepEqual(keys, [`${MOUNT_PREFIX}salt`]);
    await assert.rejects(login(harness, roleId, secretId));
    assert.equal(await harness.send('delete', 'role/web'), null);
  });

  test('delete racing secret ID generation leaves nothing', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');

    await Promise.allSettled([
      harness.send('update', 'role/web/secret-id', {}),
      harness.send('delete', 'role/web'),
      harness.send('update', 'role/web/secret-id', {}),
    ]);

    const keys = [...(await harness.snapshot()).keys()];
    assert.deepEqual(keys, [`${MOUNT_PREFIX}salt`]);
  });

  test('invalid fields are rejected', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { token_ttl: 60 });
    await createRole(harness, 'other', { role_id: 'taken' });
    const cases: [Record<string, unknown>, string][] = [
      [
        { bind_secret_id: false },
        'at least one constraint should be enabled on the role: set "bind_secret_id" to true, or set "secret_id_bound_cidrs" or "token_bound_cidrs"',
      ],
      [{ local_secret_ids: true }, 'local_secret_ids can only be modified during role creation'],
      [{ secret_id_num_uses: -1 }, 'secret_id_num_uses cannot be negative: got -1, use 0 for unlimited'],
      [{ secret_id_bound_cidrs: '10.0.0.0/40' }, 'invalid "secret_id_bound_cidrs" entry "10.0.0.0/40": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
      [{ bound_cidr_list: 'host' }, 'invalid "bound_cidr_list" entry "host": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
      [{ token_bound_cidrs: '1.2.3.4/99' }, 'invalid "token_bound_cidrs" entry "1.2.3.4/99": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
      [{ token_period: '48h' }, 'period of "48h0m0s" is greater than the backend\'s maximum lease TTL of "24h0m0s"'],
      [{ token_ttl: 600, token_max_ttl: 300 }, 'invalid "token_ttl" 600: it must not exceed "token_max_ttl" 300'],
      [{ token_type: 'weird' }, 'invalid "token_type" "weird": must be one of service, batch, default, default-service, default-batch'],
      [
        { token_type: 'batch', token_num_uses: 2 },
        'invalid "token_type" "batch": batch tokens cannot have a use limit, set "token_num_uses" to 0 or "token_type" to "service"',
      ],
      [
        { token_type: 'batch', token_period: '1h' },
        'invalid "token_type" "batch": batch tokens cannot be periodic, set "token_period" to 0 or "token_type" to "service"',
      ],
      [{ role_id: '' }, 'invalid "role_id" "": a role ID cannot be empty, leave the field out to keep the current one'],
      [{ role_id: 'taken' }, 'role_id already in use: another role has this role ID, choose a different "role_id"'],
      [{ secret_id_ttl: 'later' }, 'invalid field "secret_id_ttl": expected a duration such as 30, "30s", "90m" or "1h", got "later"'],
      [{ colour: 'blue' }, 'unknown field "colour"'],
    ];

    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'role/web', data), 400, message);
    }
  });

  test('rejected create stores nothing', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(
      harness,
      () => harness.send('create', 'role/web', { bind_secret_id: false }),
      400,
      'at least one constraint should be enabled on the role: set "bind_secret_id" to true, or set "secret_id_bound_cidrs" or "token_bound_cidrs"',
    );
    assert.equal(await harness.send('read', 'role/web'), null);
  });

  test('too long name is rejected', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(
      harness,
      () => harness.send('create', `role/${'a'.repeat(4097)}`, {}),
      400,
      'role_name is longer than maximum of 4096 bytes: choose a shorter name',
    );
  });
});
