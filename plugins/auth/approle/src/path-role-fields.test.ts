import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, createHarness, createRole, dataOf } from './test-support.js';

/** One per-field path: the value to send, what a read returns after it and after a reset. */
const CASES: { suffix: string; send: Record<string, unknown>; read: Record<string, unknown>; reset: Record<string, unknown>; missing: string }[] = [
  {
    suffix: 'policies',
    send: { token_policies: 'a,b' },
    read: { token_policies: ['a', 'b'], policies: ['a', 'b'] },
    reset: { token_policies: [], policies: [] },
    missing: 'missing token_policies: send "token_policies" with the new value',
  },
  {
    suffix: 'secret-id-num-uses',
    send: { secret_id_num_uses: 3 },
    read: { secret_id_num_uses: 3 },
    reset: { secret_id_num_uses: 0 },
    missing: 'missing secret_id_num_uses: send "secret_id_num_uses" with the new value',
  },
  {
    suffix: 'secret-id-ttl',
    send: { secret_id_ttl: '5m' },
    read: { secret_id_ttl: 300 },
    reset: { secret_id_ttl: 0 },
    missing: 'missing secret_id_ttl: send "secret_id_ttl" with the new value',
  },
  {
    suffix: 'token-ttl',
    send: { token_ttl: 120 },
    read: { token_ttl: 120 },
    reset: { token_ttl: 0 },
    missing: 'missing token_ttl: send "token_ttl" with the new value',
  },
  {
    suffix: 'token-max-ttl',
    send: { token_max_ttl: '2h' },
    read: { token_max_ttl: 7200 },
    reset: { token_max_ttl: 0 },
    missing: 'missing token_max_ttl: send "token_max_ttl" with the new value',
  },
  {
    suffix: 'token-num-uses',
    send: { token_num_uses: 9 },
    read: { token_num_uses: 9 },
    reset: { token_num_uses: 0 },
    missing: 'missing token_num_uses: send "token_num_uses" with the new value',
  },
  {
    suffix: 'token-bound-cidrs',
    send: { token_bound_cidrs: '10.0.0.0/8' },
    read: { token_bound_cidrs: ['10.0.0.0/8'] },
    reset: { token_bound_cidrs: [] },
    missing: 'missing token_bound_cidrs: send "token_bound_cidrs" with the new value',
  },
  {
    suffix: 'secret-id-bound-cidrs',
    send: { secret_id_bound_cidrs: ['192.168.0.0/16'] },
    read: { secret_id_bound_cidrs: ['192.168.0.0/16'] },
    reset: { secret_id_bound_cidrs: [] },
    missing: 'missing secret_id_bound_cidrs: send "secret_id_bound_cidrs" with the new value',
  },
  {
    suffix: 'bound-cidr-list',
    send: { bound_cidr_list: '172.16.0.0/12' },
    read: { bound_cidr_list: ['172.16.0.0/12'] },
    reset: { bound_cidr_list: [] },
    missing: 'missing bound_cidr_list: send "bound_cidr_list" with the new value',
  },
  {
    suffix: 'period',
    send: { token_period: '1h' },
    read: { token_period: 3600, period: 3600 },
    reset: { token_period: 0, period: 0 },
    missing: 'missing token_period: send "token_period" with the new value',
  },
  {
    suffix: 'bind-secret-id',
    send: { bind_secret_id: true },
    read: { bind_secret_id: true },
    reset: { bind_secret_id: true },
    missing: 'missing bind_secret_id: send "bind_secret_id" with the new value',
  },
];

describe('role/:role_name per-field paths', () => {
  for (const { suffix, send, read, reset, missing } of CASES) {
    test(`${suffix} set, read and reset`, async () => {
      const harness = createHarness();
      await createRole(harness, 'web');

      assert.equal(await harness.send('update', `role/web/${suffix}`, send), null);
      assert.deepEqual(dataOf(await harness.send('read', `role/web/${suffix}`)), read);

      assert.equal(await harness.send('delete', `role/web/${suffix}`), null);
      assert.deepEqual(dataOf(await harness.send('read', `role/web/${suffix}`)), reset);
    });

    test(`${suffix} without the field is rejected`, async () => {
      const harness = createHarness();
      await createRole(harness, 'web');

      await assertRejectedUnchanged(harness, () => harness.send('update', `role/web/${suffix}`, {}), 400, missing);
    });

    test(`${suffix} of an unknown role`, async () => {
      const harness = createHarness();

      assert.equal(await harness.send('read', `role/nope/${suffix}`), null);
      await assertRejectedUnchanged(harness, () => harness.send('update', `role/nope/${suffix}`, send), 404, 'role "nope" does not exist');
      assert.equal(await harness.send('delete', `role/nope/${suffix}`), null);
    });
  }

  test('a field path leaves the other settings alone', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { token_policies: 'dev', secret_id_num_uses: 4, token_ttl: 60 });

    await harness.send('update', 'role/web/secret-id-ttl', { secret_id_ttl: 30 });

    const data = dataOf(await harness.send('read', 'role/web'));
    assert.deepEqual(data.token_policies, ['dev']);
    assert.equal(data.secret_id_num_uses, 4);
    assert.equal(data.token_ttl, 60);
    assert.equal(data.secret_id_ttl, 30);
  });

  test('policies accepts the deprecated field', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');

    await harness.send('update', 'role/web/policies', { policies: 'old' });

    assert.deepEqual(dataOf(await harness.send('read', 'role/web/policies')).token_policies, ['old']);
  });

  test('period accepts the deprecated field', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');

    await harness.send('update', 'role/web/period', { period: 90 });

    assert.equal(dataOf(await harness.send('read', 'role/web')).token_period, 90);
  });

  test('invalid values are rejected', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { token_ttl: 100, token_max_ttl: 200 });
    const cases: [string, Record<string, unknown>, string][] = [
      ['secret-id-num-uses', { secret_id_num_uses: -2 }, 'secret_id_num_uses cannot be negative: got -2, use 0 for unlimited'],
      ['token-num-uses', { token_num_uses: -1 }, 'token_num_uses cannot be negative: got -1, use 0 for unlimited'],
      ['token-ttl', { token_ttl: 300 }, 'token_ttl should not be greater than token_max_ttl: token_ttl is 300, token_max_ttl is 200'],
      ['token-max-ttl', { token_max_ttl: 50 }, 'token_max_ttl should be greater than or equal to token_ttl: token_ttl is 100, token_max_ttl is 50'],
      ['token-bound-cidrs', { token_bound_cidrs: 'x' }, 'invalid "token_bound_cidrs" entry "x": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
      ['secret-id-bound-cidrs', { secret_id_bound_cidrs: '1.2.3.4/33' }, 'invalid "secret_id_bound_cidrs" entry "1.2.3.4/33": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
      ['secret-id-bound-cidrs', { secret_id_bound_cidrs: [] }, 'missing secret_id_bound_cidrs: send at least one CIDR block, or DELETE the path to clear the list'],
      ['period', { token_period: '25h' }, 'period of "25h0m0s" is greater than the backend\'s maximum lease TTL of "24h0m0s"'],
      [
        'bind-secret-id',
        { bind_secret_id: false },
        'at least one constraint should be enabled on the role: set "bind_secret_id" to true, or set "secret_id_bound_cidrs" or "token_bound_cidrs"',
      ],
    ];

    for (const [suffix, data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', `role/web/${suffix}`, data), 400, message);
    }
  });

  test('batch roles reject use limit and period', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { token_type: 'batch' });
    const cases: [string, Record<string, unknown>, string][] = [
      [
        'token-num-uses',
        { token_num_uses: 3 },
        'invalid "token_type" "batch": batch tokens cannot have a use limit, set "token_num_uses" to 0 or "token_type" to "service"',
      ],
      ['period', { token_period: '1h' }, 'invalid "token_type" "batch": batch tokens cannot be periodic, set "token_period" to 0 or "token_type" to "service"'],
      ['period', { period: '1h' }, 'invalid "token_type" "batch": batch tokens cannot be periodic, set "token_period" to 0 or "token_type" to "service"'],
    ];

    for (const [suffix, data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', `role/web/${suffix}`, data), 400, message);
    }
    assert.equal(await harness.send('update', 'role/web/token-num-uses', { token_num_uses: 0 }), null);
  });

  test('bind-secret-id off with bound CIDRs', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { secret_id_bound_cidrs: '127.0.0.1/32' });

    await harness.send('update', 'role/web/bind-secret-id', { bind_secret_id: false });

    assert.deepEqual(dataOf(await harness.send('read', 'role/web/bind-secret-id')), { bind_secret_id: false });
  });

  test('local-secret-ids is read-only', async () => {
    const harness = createHarness();
    await createRole(harness, 'web', { local_secret_ids: true });

    assert.deepEqual(dataOf(await harness.send('read', 'role/web/local-secret-ids')), { local_secret_ids: true });
    await assertRejects(harness.send('update', 'role/web/local-secret-ids', {}), 405, 'update operation not supported on path "role/web/local-secret-ids"');
  });
});
