import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { Barrier } from '../barrier/barrier.js';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { loginAlias, UserLockout } from './user-lockout.js';

async function barrier(): Promise<Barrier> {
  const result = new Barrier(new InmemStorage());
  const key = randomBytes(32);
  await result.initialize(key);
  await result.unseal(key);
  return result;
}

const MINUTE = 60_000;

test('lockout locks after the threshold and unlocks after the duration', async () => {
  const lockout = new UserLockout(await barrier(), { all: { lockoutThreshold: 3, lockoutDuration: 600 } }, silentLogger, false);
  const start = 1_000_000;
  await lockout.recordFailure('auth_userpass_1', 'userpass', 'alice', start);
  await lockout.recordFailure('auth_userpass_1', 'userpass', 'alice', start + 1000);
  assert.equal(await lockout.isLocked('auth_userpass_1', 'alice', start + 2000), false);
  await lockout.recordFailure('auth_userpass_1', 'userpass', 'alice', start + 2000);
  assert.equal(await lockout.isLocked('auth_userpass_1', 'alice', start + 3000), true);
  assert.equal(await lockout.isLocked('auth_userpass_1', 'bob', start + 3000), false);
  assert.equal(await lockout.isLocked('auth_userpass_2', 'alice', start + 3000), false);
  assert.deepEqual([...lockout.list(start + 3000)], [['auth_userpass_1', ['alice']]]);
  assert.equal(await lockout.isLocked('auth_userpass_1', 'alice', start + 2000 + 10 * MINUTE + 1), false);
});

test('lockout counter resets after a quiet period and on success', async () => {
  const lockout = new UserLockout(await barrier(), { all: { lockoutThreshold: 2, lockoutCounterReset: 60 } }, silentLogger, false);
  await lockout.recordFailure('a', 'ldap', 'carol', 0);
  await lockout.recordFailure('a', 'ldap', 'carol', 2 * MINUTE);
  assert.equal(await lockout.isLocked('a', 'carol', 2 * MINUTE), false);
  lockout.recordSuccess('a', 'carol');
  await lockout.recordFailure('a', 'ldap', 'carol', 2 * MINUTE + 1);
  assert.equal(await lockout.isLocked('a', 'carol', 2 * MINUTE + 2), false);
});

test('lockout survives teardown and setup', async () => {
  const storage = await barrier();
  const lockout = new UserLockout(storage, { userpass: { lockoutThreshold: 1 } }, silentLogger, false);
  await lockout.recordFailure('m', 'userpass', 'dave');
  lockout.teardown();
  await lockout.setup();
  assert.equal(await lockout.isLocked('m', 'dave'), true);
  await lockout.unlock('m', 'dave');
  lockout.teardown();
  await lockout.setup();
  assert.equal(await lockout.isLocked('m', 'dave'), false);
});

test('lockout settings fall back from method to all to defaults', async () => {
  const lockout = new UserLockout(await barrier(), { all: { lockoutDuration: 60 }, ldap: { lockoutThreshold: 9, disableLockout: true } }, silentLogger, false);
  assert.deepEqual(lockout.settingsFor('userpass'), { threshold: 5, duration: 60, counterReset: 900, disabled: false });
  assert.deepEqual(lockout.settingsFor('ldap'), { threshold: 9, duration: 60, counterReset: 900, disabled: true });
  assert.equal(lockout.applies('ldap'), false);
  assert.equal(lockout.applies('userpass'), true);
  assert.equal(lockout.applies('github'), false);
});

test('login alias comes from the path or role_id', () => {
  assert.equal(loginAlias('userpass', 'login/Alice', {}), 'alice');
  assert.equal(loginAlias('ldap', 'login/bob', {}), 'bob');
  assert.equal(loginAlias('approle', 'login', { role_id: 'r-1' }), 'r-1');
  assert.equal(loginAlias('approle', 'login', {}), undefined);
  assert.equal(loginAlias('userpass', 'users/alice', {}), undefined);
});

test('login alias trims and reads numbers', () => {
  assert.equal(loginAlias('approle', 'login', { role_id: ' r-1\t' }), 'r-1');
  assert.equal(loginAlias('approle', 'login', { role_id: 12345 }), '12345');
  assert.equal(loginAlias('approle', 'login', { role_id: '  ' }), undefined);
  assert.equal(loginAlias('ldap', 'login/ Bob ', {}), 'bob');
});

test('radius login alias prefers the body', () => {
  assert.equal(loginAlias('radius', 'login', { username: ' Dave ' }), 'dave');
  assert.equal(loginAlias('radius', 'login/Eve', {}), 'eve');
  assert.equal(loginAlias('radius', 'login/eve', { username: 'dave' }), 'dave');
  assert.equal(loginAlias('radius', 'login', {}), undefined);
  assert.equal(loginAlias('radius', 'login', { username: '  ' }), undefined);
});

describe('approle lockout over HTTP', () => {
  const ROOT = 'root-test-token';
  let server: RunningServer;
  let secretId: string;
  before(async () => {
    server = await startDevServer(ROOT);
    await api(server, 'POST', 'sys/auth/approle', { token: ROOT, body: { type: 'approle' } });
    await api(server, 'POST', 'auth/approle/role/build', { token: ROOT, body: { token_policies: 'default' } });
    await api(server, 'POST', 'auth/approle/role/build/role-id', { token: ROOT, body: { role_id: '4242' } });
    secretId = (await api(server, 'POST', 'auth/approle/role/build/secret-id', { token: ROOT })).body.data.secret_id;
  });
  after(() => server.close());

  test('padded or numeric role ID stays locked', async () => {
    const spellings = ['4242', ' 4242', '4242 ', 4242, '\t4242'];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const failed = await api(server, 'POST', 'auth/approle/login', { body: { role_id: spellings[attempt], secret_id: 'wrong' } });
      assert.equal(failed.status, 400);
    }
    for (const roleId of spellings) {
      const locked = await api(server, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
      assert.equal(locked.status, 403, `role_id ${JSON.stringify(roleId)}`);
      assert.deepEqual(locked.body.errors, ['permission denied']);
    }

    const listed = await api(server, 'GET', 'sys/locked-users', { token: ROOT });
    assert.deepEqual(listed.body.data.by_namespace[0].mount_accessors[0].alias_identifiers, ['4242']);
  });
});

describe('lockout counts only invalid credentials', () => {
  const ROOT = 'root-test-token';
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
    await api(server, 'POST', 'sys/auth/userpass', { token: ROOT, body: { type: 'userpass' } });
    await api(server, 'POST', 'auth/userpass/users/frank', { token: ROOT, body: { password: 'right', token_bound_cidrs: '10.0.0.0/8' } });
    await api(server, 'POST', 'sys/auth/approle', { token: ROOT, body: { type: 'approle' } });
    await api(server, 'POST', 'auth/approle/role/deploy', { token: ROOT, body: { role_id: 'deploy-id' } });
  });
  after(() => server.close());

  test('malformed or denied logins do not lock', async () => {
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const malformed = await api(server, 'POST', 'auth/userpass/login/frank', { body: { password: 'right', colour: 'blue' } });
      assert.equal(malformed.status, 400);
      const outsideCidrs = await api(server, 'POST', 'auth/userpass/login/frank', { body: { password: 'right' } });
      assert.equal(outsideCidrs.status, 403);
      const noSecretId = await api(server, 'POST', 'auth/approle/login', { body: { role_id: 'deploy-id' } });
      assert.deepEqual(noSecretId.body.errors, ['missing secret_id']);
    }
    await api(server, 'POST', 'auth/userpass/users/frank', { token: ROOT, body: { token_bound_cidrs: '127.0.0.1' } });
    const secretId = (await api(server, 'POST', 'auth/approle/role/deploy/secret-id', { token: ROOT })).body.data.secret_id;

    assert.equal((await api(server, 'POST', 'auth/userpass/login/frank', { body: { password: 'right' } })).status, 200);
    assert.equal((await api(server, 'POST', 'auth/approle/login', { body: { role_id: 'deploy-id', secret_id: secretId } })).status, 200);
    assert.equal((await api(server, 'GET', 'sys/locked-users', { token: ROOT })).body.data.total, 0);
  });
});
