import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { generatePassword } from '@coffer/sdk';
import { PostgresDatabase } from './postgresql.js';
import { CREATE, login, passwordMatches, ROOT_CONFIG, roleExists } from './test-support.js';

describe('postgresql database plugin', () => {
  const database = new PostgresDatabase();
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
    const expiration = new Date(Date.now() + 3600_000);
    const { username } = await database.newUser({
      usernameConfig: { displayName: prefix, roleName: 'reader' },
      password,
      expiration,
      statements: { commands: CREATE },
      rollbackStatements: { commands: [] },
    });
    created.push(username);
    assert.match(username, new RegExp(`^v-${prefix}-reader-[A-Za-z0-9]{20}-\\d+$`));
    assert.equal(await login(username, password), username);
    assert.equal(await passwordMatches(username, password), true);

    const newPassword = generatePassword();
    await database.updateUser({ username, password: { newPassword, statements: { commands: [] } } });
    assert.equal(await passwordMatches(username, password), false);
    assert.equal(await passwordMatches(username, newPassword), true);

    await database.updateUser({ username, expiration: { newExpiration: new Date(Date.now() + 7200_000), statements: { commands: [] } } });
    await database.deleteUser({ username, statements: { commands: [] } });
    assert.equal(await roleExists(username), false);
    await assert.rejects(login(username, newPassword), /role "v-.*" does not exist/);
  });

  test('close waits for queued operations', async () => {
    const single = new PostgresDatabase();
    await single.initialize({ config: { ...ROOT_CONFIG, max_open_connections: 1 }, verifyConnection: false });
    // With one pooled client, all but the first wait in the pool's queue when close starts.
    const operations = [1, 2, 3].map((n) => single.deleteUser({ username: `${prefix}-missing-${n}`, statements: { commands: [] } }));
    const closing = single.close();

    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      Promise.allSettled([...operations, closing]).then((results) => results.map((result) => result.status)),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timed out'), 5_000))),
    ]);
    clearTimeout(timer);
    assert.deepEqual(settled, ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    await assert.rejects(single.deleteUser({ username: `${prefix}-missing-4`, statements: { commands: [] } }), {
      message: `failed to delete user "${prefix}-missing-4": the connection is closed`,
    });
  });

  test('creation without statements fails', async () => {
    await assert.rejects(
      database.newUser({
        usernameConfig: { displayName: prefix, roleName: 'r' },
        password: 'x',
        expiration: new Date(),
        statements: { commands: [] },
        rollbackStatements: { commands: [] },
      }),
      { message: 'missing creation statements: set "creation_statements" on the role' },
    );
  });

  test('driver error hides the password', async () => {
    const password = generatePassword();
    await assert.rejects(
      database.newUser({
        usernameConfig: { displayName: prefix, roleName: 'bad' },
        password,
        expiration: new Date(),
        statements: { commands: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' NONSENSE;`] },
        rollbackStatements: { commands: [] },
      }),
      (err: Error) => {
        assert.match(err.message, /^failed to create the user: unrecognized role option "nonsense"$/);
        assert.equal(err.message.includes(password), false);
        return true;
      },
    );
  });

  test('unreachable server error hides the host', async () => {
    const other = new PostgresDatabase();
    await assert.rejects(
      other.initialize({ config: { connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/test', username: 'root', password: 'hunter2-secret' }, verifyConnection: true }),
      (err: Error) => {
        assert.match(err.message, /^failed to verify the connection: connect ECONNREFUSED \[redacted\]:1$/);
        return true;
      },
    );
    await other.close();
  });

  test('missing connection_url is rejected', async () => {
    const other = new PostgresDatabase();
    await assert.rejects(other.initialize({ config: {}, verifyConnection: false }), {
      message: 'missing setting "connection_url": give a URL such as postgresql://{{username}}:{{password}}@host:5432/db',
    });
  });
});
