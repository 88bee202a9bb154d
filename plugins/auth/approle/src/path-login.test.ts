import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, createHarness, createRole, generateSecretId, login, MOUNT_PREFIX } from './test-support.js';

const INVALID = 'invalid role or secret ID';

describe('login', () => {
  test('returns the auth of the role', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', {
      token_policies: 'dev,ops',
      token_ttl: '20m',
      token_max_ttl: '30m',
      token_num_uses: 2,
      token_bound_cidrs: '127.0.0.0/8',
    });
    const { secretId } = await generateSecretId(harness, 'web', { metadata: { team: 'payments' } });

    const response = await login(harness, roleId, secretId);

    assert.equal(response?.data, undefined);
    assert.deepEqual(response?.auth, {
      metadata: { team: 'payments', role_name: 'web' },
      alias: { name: roleId, metadata: { team: 'payments', role_name: 'web' } },
      internalData: { role_name: 'web' },
      policies: ['dev', 'ops'],
      ttl: 1200,
      maxTtl: 1800,
      explicitMaxTtl: 0,
      period: 0,
      numUses: 2,
      boundCidrs: ['127.0.0.0/8'],
      noDefaultPolicy: false,
      tokenType: 'default',
      renewable: true,
    });
  });

  test('secret ID token_bound_cidrs replace the role\'s', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { token_bound_cidrs: '127.0.0.0/8' });
    const { secretId } = await generateSecretId(harness, 'web', { token_bound_cidrs: '127.0.0.1/32' });

    const response = await login(harness, roleId, secretId);

    assert.deepEqual(response?.auth?.boundCidrs, ['127.0.0.1/32']);
  });

  test('wrong secret ID is rejected', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web');
    await generateSecretId(harness, 'web');

    await assertRejectedUnchanged(harness, () => login(harness, roleId, 'not-a-secret-id'), 400, INVALID);
  });

  test('unknown role ID is rejected', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');
    const { secretId } = await generateSecretId(harness, 'web');

    await assertRejectedUnchanged(harness, () => login(harness, 'no-such-role-id', secretId), 400, INVALID);
  });

  test('secret ID of another role is rejected', async () => {
    const harness = createHarness();
    const webId = await createRole(harness, 'web');
    await createRole(harness, 'db');
    const { secretId } = await generateSecretId(harness, 'db');

    await assertRejectedUnchanged(harness, () => login(harness, webId, secretId), 400, INVALID);
  });

  test('missing credentials are rejected', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web');

    await assertRejectedUnchanged(harness, () => harness.send('update', 'login', {}), 400, 'missing role_id');
    await assertRejectedUnchanged(harness, () => login(harness, roleId), 400, 'missing secret_id');
    await assertRejectedUnchanged(harness, () => login(harness, roleId, '   '), 400, 'missing secret_id');
  });

  test('use limit is spent and then exhausted', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { secret_id_num_uses: 2 });
    const { secretId } = await generateSecretId(harness, 'web');

    assert.ok((await login(harness, roleId, secretId))?.auth);
    assert.ok((await login(harness, roleId, secretId))?.auth);
    await assertRejects(login(harness, roleId, secretId), 400, INVALID);

    const keys = [...(await harness.snapshot()).keys()];
    assert.equal(keys.filter((key) => key.startsWith(`${MOUNT_PREFIX}secret_id/`)).length, 0);
    assert.equal(keys.filter((key) => key.startsWith(`${MOUNT_PREFIX}accessor/`)).length, 0);
  });

  test('concurrent logins cannot overspend', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { secret_id_num_uses: 1 });
    const { secretId } = await generateSecretId(harness, 'web');

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => login(harness, roleId, secretId)));

    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    assert.equal(results.filter((result) => result.status === 'rejected').length, 4);
  });

  test('unlimited secret ID keeps working', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web');
    const { secretId } = await generateSecretId(harness, 'web');

    for (let i = 0; i < 3; i += 1) {
      assert.ok((await login(harness, roleId, secretId))?.auth);
    }
  });

  test('expired secret ID is rejected and removed', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { secret_id_ttl: 60 });
    const { secretId } = await generateSecretId(harness, 'web');

    harness.clock.advance(59);
    assert.ok((await login(harness, roleId, secretId))?.auth);
    harness.clock.advance(1);
    await assertRejects(login(harness, roleId, secretId), 400, INVALID);

    assert.equal(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: secretId }), null);
  });

  test('per-request TTL expires the secret ID', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web');
    const { secretId } = await generateSecretId(harness, 'web', { ttl: 10 });

    harness.clock.advance(10);

    await assertRejects(login(harness, roleId, secretId), 400, INVALID);
  });

  test('role without bind_secret_id logs in by address', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { bind_secret_id: false, secret_id_bound_cidrs: '10.0.0.0/8' });

    const response = await login(harness, roleId, undefined, '10.9.8.7');

    assert.deepEqual(response?.auth?.metadata, { role_name: 'web' });
    await assertRejects(login(harness, roleId, undefined, '192.168.1.1'), 400, 'source address "192.168.1.1" unauthorized by CIDR restrictions on the role');
  });

  test('role CIDRs apply with a secret ID too', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { secret_id_bound_cidrs: '10.0.0.0/8' });
    const { secretId } = await generateSecretId(harness, 'web');

    assert.ok((await login(harness, roleId, secretId, '::ffff:10.1.1.1'))?.auth);
    await assertRejects(login(harness, roleId, secretId, '127.0.0.1'), 400, 'source address "127.0.0.1" unauthorized by CIDR restrictions on the role');
  });

  test('role CIDRs checked before spending a use', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { secret_id_bound_cidrs: '10.0.0.0/8', secret_id_num_uses: 1 });
    const { secretId } = await generateSecretId(harness, 'web');

    await assertRejectedUnchanged(
      harness,
      () => login(harness, roleId, secretId, '127.0.0.1'),
      400,
      'source address "127.0.0.1" unauthorized by CIDR restrictions on the role',
    );
    assert.ok((await login(harness, roleId, secretId, '10.0.0.1'))?.auth);
  });

  test('secret ID CIDRs are enforced without spending a use', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { secret_id_num_uses: 1 });
    const { secretId } = await generateSecretId(harness, 'web', { cidr_list: '10.0.0.0/8' });

    await assertRejectedUnchanged(
      harness,
      () => login(harness, roleId, secretId, '127.0.0.1'),
      400,
      'source address "127.0.0.1" unauthorized by CIDR restrictions on the secret ID',
    );
    assert.ok((await login(harness, roleId, secretId, '10.0.0.1'))?.auth);
  });

  test('secret ID outside narrowed role CIDRs is rejected', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { secret_id_bound_cidrs: '10.0.0.0/8' });
    const { secretId } = await generateSecretId(harness, 'web', { cidr_list: '10.1.0.0/16' });
    await harness.send('update', 'role/web/secret-id-bound-cidrs', { secret_id_bound_cidrs: '10.2.0.0/16' });

    await assertRejects(
      login(harness, roleId, secretId, '10.1.0.1'),
      400,
      'invalid "cidr_list" entry "10.1.0.0/16": it must lie inside the role\'s "secret_id_bound_cidrs" (10.2.0.0/16)',
    );
  });

  test('secret ID token CIDRs outside narrowed role', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { token_bound_cidrs: '10.0.0.0/8', secret_id_num_uses: 1 });
    const { secretId } = await generateSecretId(harness, 'web', { token_bound_cidrs: '10.2.0.0/16' });
    await harness.send('update', 'role/web/token-bound-cidrs', { token_bound_cidrs: '10.1.0.0/16' });

    await assertRejectedUnchanged(
      harness,
      () => login(harness, roleId, secretId, '10.2.0.1'),
      400,
      'invalid "token_bound_cidrs" entry "10.2.0.0/16": it must lie inside the role\'s "token_bound_cidrs" (10.1.0.0/16)',
    );
  });

  test('role ID is compared exactly', async () => {
    const harness = createHarness();
    const roleId = await createRole(harness, 'web', { role_id: 'CaseSensitive' });
    const { secretId } = await generateSecretId(harness, 'web');

    await assertRejects(login(harness, 'casesensitive', secretId), 400, INVALID);
    assert.ok((await login(harness, roleId, secretId))?.auth);
  });
});
