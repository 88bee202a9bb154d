import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { generatePassword } from '@coffer/sdk';
import { Redis } from 'ioredis';
import { RedisDatabase } from './redis.js';

const HOST = '127.0.0.1';
const PORT = 6379;

/** Authenticates as `username` and reads a key the test users may read, which is missing. */
async function login(username: string, password: string): Promise<string | null> {
  const client = new Redis({ host: HOST, port: PORT, username, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let failure: Error | undefined;
  client.on('error', (err: Error) => {
    failure = err;
  });
  try {
    await client.connect();
    return await client.get('cache:probe');
  } catch (err) {
    // ioredis rejects with "Connection is closed." and reports the cause, such as WRONGPASS, as an event.
    throw failure ?? err;
  } finally {
    client.disconnect();
  }
}

describe('redis database plugin', () => {
  const database = new RedisDatabase();
  const prefix = `T${randomBytes(3).toString('hex').toUpperCase()}`;
  const created: string[] = [];

  before(async () => {
    await database.initialize({ config: { host: HOST, port: PORT }, verifyConnection: true });
  });
  after(async () => {
    for (const username of created) await database.deleteUser({ username, statements: { commands: [] } });
    await database.close();
  });

  test('user lifecycle', async () => {
    const password = generatePassword();
    const { username } = await database.newUser({
      usernameConfig: { displayName: prefix, roleName: 'cache' },
      password,
      expiration: new Date(Date.now() + 3600_000),
      statements: { commands: ['["~cache:*", "+@read"]'] },
      rollbackStatements: { commands: [] },
    });
    created.push(username);
    assert.match(username, new RegExp(`^V_${prefix}_CACHE_[A-Za-z0-9]{20}_\\d+$`));
    assert.equal(await login(username, password), null);

    const newPassword = generatePassword();
    await database.updateUser({ username, password: { newPassword, statements: { commands: [] } } });
    await assert.rejects(login(username, password), /WRONGPASS/);
    assert.equal(await login(username, newPassword), null);

    await database.deleteUser({ username, statements: { commands: [] } });
    await assert.rejects(login(username, newPassword), /WRONGPASS/);
  });

  test('invalid rules are rejected', async () => {
    await assert.rejects(
      database.newUser({
        usernameConfig: { displayName: prefix, roleName: 'bad' },
        password: 'x',
        expiration: new Date(),
        statements: { commands: ['["~*", 5]'] },
        rollbackStatements: { commands: [] },
      }),
      { message: 'invalid statements: expected a JSON array of ACL rules such as ["~*", "+@read"]' },
    );
  });

  test('unreachable server error hides the host', async () => {
    const other = new RedisDatabase();
    await assert.rejects(other.initialize({ config: { host: HOST, port: 1, password: 'hunter2-secret' }, verifyConnection: true }), {
      message: 'failed to verify the connection: connect ECONNREFUSED [redacted]:1',
    });
    await other.close();
  });
});
