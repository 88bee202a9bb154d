import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, createHarness, createUser } from './test-support.js';

describe('login/:username', () => {
  test('returns the auth of the user', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 's3cret', {
      token_policies: 'dev,ops',
      token_ttl: '30m',
      token_max_ttl: '1h',
      token_num_uses: 4,
      token_period: 0,
      token_no_default_policy: true,
      token_type: 'service',
    });

    const response = await harness.send('update', 'login/alice', { password: 's3cret' });

    assert.equal(response?.data, undefined);
    assert.deepEqual(response?.auth, {
      metadata: { username: 'alice' },
      displayName: 'alice',
      alias: { name: 'alice' },
      policies: ['dev', 'ops'],
      ttl: 1800,
      maxTtl: 3600,
      explicitMaxTtl: 0,
      period: 0,
      numUses: 4,
      boundCidrs: [],
      noDefaultPolicy: true,
      tokenType: 'service',
      renewable: true,
    });
  });

  test('username is case-insensitive', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw');

    const response = await harness.send('update', 'login/ALICE', { password: 'pw' });

    assert.deepEqual(response?.auth?.metadata, { username: 'alice' });
    assert.equal(response?.auth?.alias?.name, 'alice');
  });

  test('wrong password is rejected', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw');

    await assertRejectedUnchanged(harness, () => harness.send('update', 'login/alice', { password: 'nope' }), 400, 'invalid username or password');
  });

  test('unknown user checks the dummy hash', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw');
    const dummy = await harness.hasher.dummyHash();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'login/mallory', { password: 'pw' }), 400, 'invalid username or password');

    assert.deepEqual(harness.hasher.verifiedHashes, [dummy]);
    assert.match(dummy, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  test('wrong password checks the user hash', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw');
    const dummy = await harness.hasher.dummyHash();

    await assertRejects(harness.send('update', 'login/alice', { password: 'nope' }), 400, 'invalid username or password');

    assert.equal(harness.hasher.verifiedHashes.length, 1);
    assert.notEqual(harness.hasher.verifiedHashes[0], dummy);
  });

  test('missing password is rejected before any lookup', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw');

    await assertRejectedUnchanged(harness, () => harness.send('update', 'login/alice', {}), 400, 'missing password');
    assert.deepEqual(harness.hasher.verifiedHashes, []);
  });

  test('bound CIDRs admit matching addresses only', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw', { token_bound_cidrs: '10.0.0.0/8,192.168.1.7' });

    const inside = await harness.send('update', 'login/alice', { password: 'pw' }, '10.20.30.40');
    const mapped = await harness.send('update', 'login/alice', { password: 'pw' }, '::ffff:192.168.1.7');

    assert.deepEqual(inside?.auth?.boundCidrs, ['10.0.0.0/8', '192.168.1.7']);
    assert.equal(mapped?.auth?.alias?.name, 'alice');
    await assertRejects(harness.send('update', 'login/alice', { password: 'pw' }, '127.0.0.1'), 403, 'permission denied');
  });

  test('bound CIDRs are checked after the password', async () => {
    const harness = await createHarness();
    await createUser(harness, 'alice', 'pw', { token_bound_cidrs: '10.0.0.0/8' });

    await assertRejects(harness.send('update', 'login/alice', { password: 'wrong' }, '127.0.0.1'), 400, 'invalid username or password');
  });
});
