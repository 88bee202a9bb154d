import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, createUser, dataOf, MOUNT_PREFIX } from './test-support.js';

const DEFAULT_SETTINGS = {
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

const BATCH_USES = 'invalid "token_type" "batch": batch tokens cannot have a use limit, set "token_num_uses" to 0 or "token_type" to "service"';
const BATCH_PERIOD = 'invalid "token_type" "batch": batch tokens cannot be periodic, set "token_period" to 0 or "token_type" to "service"';

describe('users/:username', () => {
  test('create then read', async () => {
    const harness = await createHarness();

    await createUser(harness, 'alice', 'pw-1', { token_policies: 'dev,ops', token_ttl: '1h', token_max_ttl: 7200, token_num_uses: 3 });

    const data = dataOf(await harness.send('read', 'users/alice'));
    assert.deepEqual(data, {
      ...DEFAULT_SETTINGS,
      token_ttl: 3600,
      token_max_ttl: 7200,
      token_policies: ['dev', 'ops'],
      policies: ['dev', 'ops'],
      token_num_uses: 3,
    });
  });

  test('all token fields round-trip', async () => {
    const harness = await createHarness();

    await createUser(harness, 'bob', 'pw', {
      token_ttl: 60,
      token_max_ttl: 120,
      token_explicit_max_ttl: 600,
      token_period: '5m',
      token_policies: ['a'],
      token_bound_cidrs: ['127.0.0.1', '10.0.0.0/8'],
      token_no_default_policy: true,
      token_num_uses: 2,
      token_type: 'service',
    });

    assert.deepEqual(dataOf(await harness.send('read', 'users/bob')), {
      token_ttl: 60,
      token_max_ttl: 120,
      token_explicit_max_ttl: 600,
      token_period: 300,
      token_policies: ['a'],
      policies: ['a'],
      token_bound_cidrs: ['127.0.0.1', '10.0.0.0/8'],
      token_no_default_policy: true,
      token_num_uses: 2,
      token_type: 'service',
    });
  });

  test('stores an argon2id hash, never the password', async () => {
    const harness = await createHarness();

    await createUser(harness, 'alice', 'correct horse');

    const stored = await harness.storage.get(`${MOUNT_PREFIX}user/alice`);
    assert.ok(stored !== null);
    const text = stored.value.toString('utf8');
    assert.ok(!text.includes('correct horse'));
    const entry = JSON.parse(text) as { passwordHash: string };
    assert.match(entry.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  test('read never returns the password or hash', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw');

    const data = dataOf(await harness.send('read', 'users/alice'));

    assert.equal('password' in data, false);
    assert.equal('passwordHash' in data, false);
    assert.equal('password_hash' in data, false);
  });

  test('update changes only the fields sent', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw', { token_policies: 'dev', token_ttl: 60 });
    const before = await harness.storage.get(`${MOUNT_PREFIX}user/alice`);

    await harness.send('update', 'users/alice', { token_num_uses: 5 });

    const data = dataOf(await harness.send('read', 'users/alice'));
    assert.deepEqual(data.token_policies, ['dev']);
    assert.equal(data.token_ttl, 60);
    assert.equal(data.token_num_uses, 5);
    const after = await harness.storage.get(`${MOUNT_PREFIX}user/alice`);
    const hashOf = (entry: typeof before) => (JSON.parse(entry!.value.toString('utf8')) as { passwordHash: string }).passwordHash;
    assert.equal(hashOf(after), hashOf(before));
  });

  test('update with a password rehashes', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'old');

    await harness.send('update', 'users/alice', { password: 'new' });

    await assert.rejects(harness.send('update', 'login/alice', { password: 'old' }));
    const login = await harness.send('update', 'login/alice', { password: 'new' });
    assert.equal(login?.auth?.alias?.name, 'alice');
  });

  test('usernames are lowercased', async () => {
    const harness = await createHarness();

    await createUser(harness, 'Alice', 'pw');

    assert.ok(await harness.storage.get(`${MOUNT_PREFIX}user/alice`));
    assert.ok(dataOf(await harness.send('read', 'users/ALICE')));
    assert.deepEqual(dataOf(await harness.send('list', 'users/')), { keys: ['alice'] });
  });

  test('existence check tells create from update', async () => {
    const harness = await createHarness();

    assert.deepEqual(await harness.exists('users/alice'), { checkFound: true, exists: false });
    await createUser(harness, 'alice', 'pw');
    assert.deepEqual(await harness.exists('users/alice'), { checkFound: true, exists: true });
    assert.deepEqual(await harness.exists('users/ALICE'), { checkFound: true, exists: true });
  });

  test('read of an unknown user is empty', async () => {
    const harness = await createHarness();

    assert.equal(await harness.send('read', 'users/nobody'), null);
  });

  test('list', async () => {
    const harness = await createHarness();
    assert.equal(await harness.send('list', 'users/'), null);

    await createUser(harness, 'carol', 'pw');
    await createUser(harness, 'alice', 'pw');

    assert.deepEqual(dataOf(await harness.send('list', 'users/')), { keys: ['alice', 'carol'] });
    assert.deepEqual(dataOf(await harness.send('list', 'users')), { keys: ['alice', 'carol'] });
  });

  test('delete', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw');

    assert.equal(await harness.send('delete', 'users/alice'), null);

    assert.equal(await harness.send('read', 'users/alice'), null);
    assert.equal(await harness.storage.get(`${MOUNT_PREFIX}user/alice`), null);
    assert.equal(await harness.send('delete', 'users/alice'), null);
  });

  test('create without a password is rejected', async () => {
    const harness = await createHarness();

    await assertRejectedUnchanged(
      harness,
      () => harness.send('create', 'users/alice', { token_policies: 'dev' }),
      400,
      'missing password: set "password" to create user "alice"',
    );
  });

  test('empty password is rejected', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw');

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'users/alice', { password: '' }),
      400,
      'missing password: "password" of user "alice" cannot be empty',
    );
  });

  test('invalid token fields are rejected', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw', { token_ttl: 60 });
    const cases: [Record<string, unknown>, string][] = [
      [{ token_type: 'weird' }, 'invalid "token_type" "weird": must be one of service, batch, default, default-service, default-batch'],
      [{ token_ttl: 600, token_max_ttl: 300 }, 'invalid "token_ttl" 600: it must not exceed "token_max_ttl" 300'],
      [{ token_num_uses: -1 }, 'invalid "token_num_uses" -1: it cannot be negative'],
      [{ token_type: 'batch', token_num_uses: 3 }, BATCH_USES],
      [{ token_type: 'default-batch', token_num_uses: 3 }, BATCH_USES.replace('"batch"', '"default-batch"')],
      [{ token_type: 'batch', token_period: '1h' }, BATCH_PERIOD],
      [{ token_bound_cidrs: ['10.0.0.0/33'] }, 'invalid "token_bound_cidrs" entry "10.0.0.0/33": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
      [{ token_bound_cidrs: '300.1.1.1' }, 'invalid "token_bound_cidrs" entry "300.1.1.1": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
      [{ token_bound_cidrs: 'nonsense' }, 'invalid "token_bound_cidrs" entry "nonsense": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
      [{ token_ttl: 'soon' }, 'invalid field "token_ttl": expected a duration such as 30, "30s", "90m" or "1h", got "soon"'],
      [{ colour: 'blue' }, 'unknown field "colour"'],
    ];

    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'users/alice', data), 400, message);
    }
  });

  test('rejected create does not hash into storage', async () => {
    const harness = await createHarness();

    await assertRejectedUnchanged(
      harness,
      () => harness.send('create', 'users/alice', { password: 'pw', token_type: 'weird' }),
      400,
      'invalid "token_type" "weird": must be one of service, batch, default, default-service, default-batch',
    );
    assert.equal(await harness.send('read', 'users/alice'), null);
  });
});
