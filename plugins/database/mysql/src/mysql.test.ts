import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { generatePassword } from '@coffer/sdk';
import mysql from 'mysql2/promise';
import { MySqlDatabase } from './mysql.js';

const SERVER = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' };
const ROOT_CONFIG = { connection_url: '{{username}}:{{password}}@tcp(127.0.0.1:3306)/test', username: 'root', password: '' };
const CREATE = [`CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON test.* TO '{{name}}'@'%';`];

async function login(user: string, password: string): Promise<string> {
  const connection = await mysql.createConnection({ ...SERVER, user, password });
  try {
    const [rows] = await connection.query('SELECT CURRENT_USER() AS user');
    return (rows as { user: string }[])[0].user;
  } finally {
    await connection.end();
  }
}

async function userExists(user: string): Promise<boolean> {
  const connection = await mysql.createConnection(SERVER);
  try {
    const [rows] = await connection.query('SELECT 1 FROM mysql.user WHERE User = ?', [user]);
    return (rows as unknown[]).length > 0;
  } finally {
    await connection.end();
  }
}

describe('mysql database plugin', () => {
  const database = new MySqlDatabase();
  const prefix = `t${randomBytes(3).toString('hex')}`;
  const created: string[] = [];

  before(async () => {
    await database.initialize({ config: ROOT_CONFIG, verifyConnection: true });
  });
  after(async () => {
    for (const username of created) await database.deleteUser({ username, statements: { commands: [] } }).catch(() => undefined);
    await database.close();
  });

  test('user lifecycle', async () => {
    const password = generatePassword();
    const { username } = await database.newUser({
      usernameConfig: { displayName: prefix, roleName: 'reader' },
      password,
      expiration: new Date(Date.now() + 3600_000),
      statements: { commands: CREATE },
      rollbackStatements: { commands: [] },
    });
    created.push(username);
    assert.equal(username.length, 32);
    assert.ok(username.startsWith(`v-${prefix}-reader-`));
    assert.equal(await login(username, password), `${username}@%`);

    const newPassword = generatePassword();
    await database.updateUser({ username, password: { newPassword, statements: { commands: [] } } });
    await assert.rejects(login(username, password), /Access denied for user/);
    assert.equal(await login(username, newPassword), `${username}@%`);

    await database.deleteUser({ username, statements: { commands: [] } });
    assert.equal(await userExists(username), false);
    await assert.rejects(login(username, newPassword), /Access denied for user/);
  });

  test('close lets started operations finish', async () => {
    const single = new MySqlDatabase();
    await single.initialize({ config: { ...ROOT_CONFIG, max_open_connections: 1 }, verifyConnection: false });
    // With one pooled connection, all but the first wait in the pool's queue when close starts.
    const operations = [1, 2, 3].map((n) => single.deleteUser({ username: `${prefix}-missing-${n}`, statements: { commands: [] } }));
    const closing = single.close();

    const results = await Promise.allSettled([...operations, closing]);
    assert.deepEqual(
      results.map((result) => (result.status === 'rejected' ? (result.reason as Error).message : result.status)),
      ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
    );
    await assert.rejects(single.deleteUser({ username: `${prefix}-missing-4`, statements: { commands: [] } }), {
      message: `failed to delete user "${prefix}-missing-4": the connection is closed`,
    });
  });

  test('failed creation drops the user', async () => {
    const password = generatePassword();
    await assert.rejects(
      database.newUser({
        usernameConfig: { displayName: prefix, roleName: 'broken' },
        password,
        expiration: new Date(),
        statements: { commands: [`CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT NOSUCH ON test.* TO '{{name}}'@'%';`] },
        rollbackStatements: { commands: [] },
      }),
      (err: Error) => {
        assert.match(err.message, /^failed to create the user: You have an error in your SQL syntax/);
        assert.equal(err.message.includes(password), false);
        return true;
      },
    );
    const connection = await mysql.createConnection(SERVER);
    const [rows] = await connection.query('SELECT User FROM mysql.user WHERE User LIKE ?', [`v-${prefix}-broken-%`]);
    await connection.end();
    assert.deepEqual(rows, []);
  });

  test('unreachable server error hides the host', async () => {
    const other = new MySqlDatabase();
    await assert.rejects(
      other.initialize({ config: { connection_url: 'mysql://{{username}}:{{password}}@127.0.0.1:1/test', username: 'root', password: 'hunter2-secret' }, verifyConnection: true }),
      { message: 'failed to verify the connection: connect ECONNREFUSED [redacted]:1' },
    );
    await other.close();
  });

  test('invalid connection_url is rejected', async () => {
    await assert.rejects(new MySqlDatabase().initialize({ config: { connection_url: 'not a url' }, verifyConnection: false }), {
      message: 'invalid setting "connection_url": expected mysql://user:password@host:port/database or user:password@tcp(host:port)/database',
    });
  });
});
