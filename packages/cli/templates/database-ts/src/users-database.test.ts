import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NewUserRequest } from '@coffer/sdk';
import { UsersDatabase } from './users-database.js';

const ADMIN = { username: 'admin', password: 'admin-password' };
const NONE = { commands: [] };

function newUser(password: string, roleName = 'app'): NewUserRequest {
  return { usernameConfig: { displayName: 'token', roleName }, password, expiration: new Date(Date.now() + 3600_000), statements: NONE, rollbackStatements: NONE };
}

describe('users database', () => {
  let dir: string;
  let database: UsersDatabase;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), '__NAME__-users-'));
    database = new UsersDatabase();
    await database.initialize({ config: { path: join(dir, 'users.db'), ...ADMIN }, verifyConnection: true });
  });

  after(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('wrong admin password is rejected', async () => {
    const other = new UsersDatabase();
    await assert.rejects(other.initialize({ config: { path: join(dir, 'users.db'), username: 'admin', password: 'wrong' }, verifyConnection: true }), {
      message: 'login as "admin" failed: wrong username or password, or the account expired',
    });
    await other.close();
  });

  test('new user logs in', async () => {
    const { username } = await database.newUser(newUser('first-password'));
    assert.match(username, /^v-token-app-[A-Za-z0-9]{20}$/);
    assert.equal(database.logsIn(username, 'first-password'), true);
    assert.equal(database.logsIn(username, 'other-password'), false);
  });

  test('password change', async () => {
    const { username } = await database.newUser(newUser('before'));
    await database.updateUser({ username, password: { newPassword: 'after', statements: NONE } });
    assert.equal(database.logsIn(username, 'after'), true);
    assert.equal(database.logsIn(username, 'before'), false);
  });

  test('expired user cannot log in', async () => {
    const { username } = await database.newUser(newUser('pw'));
    await database.updateUser({ username, expiration: { newExpiration: new Date(Date.now() - 1000), statements: NONE } });
    assert.equal(database.logsIn(username, 'pw'), false);
  });

  test('delete twice succeeds', async () => {
    const { username } = await database.newUser(newUser('pw'));
    await database.deleteUser({ username, statements: NONE });
    assert.equal(database.logsIn(username, 'pw'), false);
    await database.deleteUser({ username, statements: NONE });
  });

  test('failed creation rolls back', async () => {
    const request = { ...newUser('pw', 'broken'), statements: { commands: ["INSERT INTO users (name, password_hash) VALUES ('{{name}}', '{{password_hash}}'); INSERT INTO nosuch VALUES (1);"] } };
    await assert.rejects(database.newUser(request), { message: 'no such table: nosuch' });
  });
});
