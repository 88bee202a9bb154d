import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejects, createHarness, MOUNT_PREFIX } from './test-support.js';

describe('groups', () => {
  test('write, read, list, delete', async () => {
    const harness = createHarness();

    assert.equal(await harness.send('update', 'groups/admins', { policies: 'Admin, default ,admin' }), null);
    await harness.send('update', 'groups/engineering', { policies: ['eng'] });

    assert.deepEqual((await harness.send('read', 'groups/admins'))?.data, { policies: ['admin', 'default'] });
    assert.deepEqual((await harness.send('list', 'groups'))?.data, { keys: ['admins', 'engineering'] });
    assert.deepEqual((await harness.send('list', 'groups/'))?.data, { keys: ['admins', 'engineering'] });

    assert.equal(await harness.send('delete', 'groups/admins'), null);
    assert.equal(await harness.send('read', 'groups/admins'), null);
    assert.deepEqual((await harness.send('list', 'groups'))?.data, { keys: ['engineering'] });
  });

  test('names lowercased by default', async () => {
    const harness = createHarness();

    await harness.send('update', 'groups/Domain Admins', { policies: 'admin' });

    assert.deepEqual((await harness.send('read', 'groups/DOMAIN ADMINS'))?.data, { policies: ['admin'] });
    assert.deepEqual((await harness.send('list', 'groups'))?.data, { keys: ['domain admins'] });
    await harness.send('delete', 'groups/Domain Admins');
    // An empty list returns no response, which the server turns into Vault's 404.
    assert.equal(await harness.send('list', 'groups'), null);
  });

  test('names kept with case_sensitive_names', async () => {
    const harness = createHarness();
    await harness.send('update', 'config', { url: 'ldap://127.0.0.1', userdn: 'dc=x', case_sensitive_names: true });

    await harness.send('update', 'groups/Admins', { policies: 'admin' });

    assert.deepEqual((await harness.send('read', 'groups/Admins'))?.data, { policies: ['admin'] });
    assert.equal(await harness.send('read', 'groups/admins'), null);
  });

  test('names with slash and dots stored as one key', async () => {
    const harness = createHarness();

    await harness.send('update', 'groups/ops/eu', { policies: 'ops' });
    await harness.send('update', 'groups/..', { policies: 'dots' });

    assert.deepEqual((await harness.send('list', 'groups'))?.data, { keys: ['..', 'ops/eu'] });
    assert.deepEqual((await harness.send('read', 'groups/ops/eu'))?.data, { policies: ['ops'] });
    assert.deepEqual([...(await harness.snapshot()).keys()].sort(), [`${MOUNT_PREFIX}group/%2E%2E`, `${MOUNT_PREFIX}group/ops%2Feu`]);
  });

  test('root policy stands alone', async () => {
    const harness = createHarness();

    await harness.send('update', 'groups/admins', { policies: 'admin,root' });

    assert.deepEqual((await harness.send('read', 'groups/admins'))?.data, { policies: ['root'] });
  });

  test('unknown field rejected', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('update', 'groups/admins', { policy: 'admin' }), 400, 'unknown field "policy"');
    assert.equal(await harness.send('read', 'groups/admins'), null);
  });

  test('unpaired surrogate rejected', async () => {
    const harness = createHarness();

    await assertRejects(
      harness.send('update', 'groups/a\ud800', { policies: 'x' }),
      400,
      'invalid name "a\\ud800": it contains an unpaired UTF-16 surrogate; use well-formed Unicode',
    );
    assert.deepEqual(await harness.snapshot(), new Map());
  });
});

describe('users', () => {
  test('write, read, list, delete', async () => {
    const harness = createHarness();

    await harness.send('update', 'users/alice', { groups: 'Engineering, admins,engineering', policies: 'Alice-Own' });
    await harness.send('update', 'users/bob', { policies: ['bob'] });

    assert.deepEqual((await harness.send('read', 'users/alice'))?.data, { groups: 'admins,engineering', policies: ['alice-own'] });
    assert.deepEqual((await harness.send('read', 'users/bob'))?.data, { groups: '', policies: ['bob'] });
    assert.deepEqual((await harness.send('list', 'users'))?.data, { keys: ['alice', 'bob'] });

    await harness.send('delete', 'users/ALICE');
    assert.equal(await harness.send('read', 'users/alice'), null);
    assert.deepEqual((await harness.send('list', 'users'))?.data, { keys: ['bob'] });
    await harness.send('delete', 'users/bob');
    assert.equal(await harness.send('list', 'users'), null);
  });

  test('groups keep case with case_sensitive_names', async () => {
    const harness = createHarness();
    await harness.send('update', 'config', { url: 'ldap://127.0.0.1', userdn: 'dc=x', case_sensitive_names: true });

    await harness.send('update', 'users/Alice', { groups: 'Engineering,admins' });

    assert.deepEqual((await harness.send('read', 'users/Alice'))?.data, { groups: 'Engineering,admins', policies: [] });
    assert.equal(await harness.send('read', 'users/alice'), null);
  });

  test('body name must match path', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('update', 'users/alice', { name: 'bob' }), 400, 'field "name" in the body does not match "alice" in the path');
    assert.deepEqual(await harness.snapshot(), new Map());
  });
});
