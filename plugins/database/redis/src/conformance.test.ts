import { runDatabaseConformance } from '@coffer/certify';
import { Redis } from 'ioredis';
import { plugin } from './index.js';

async function withClient<T>(options: { username?: string; password?: string }, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: '127.0.0.1', port: 6379, ...options, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let failure: Error | undefined;
  client.on('error', (err: Error) => {
    failure = err;
  });
  try {
    await client.connect();
    return await work(client);
  } catch (err) {
    // ioredis rejects with "Connection is closed." and reports the cause, such as WRONGPASS, as an event.
    throw failure ?? err;
  } finally {
    client.disconnect();
  }
}

async function checkPassword(username: string, password: string): Promise<boolean> {
  try {
    await withClient({ username, password }, async () => undefined);
    return true;
  } catch (err) {
    if ((err as Error).message.startsWith('WRONGPASS')) return false;
    throw err;
  }
}

async function userExists(username: string): Promise<boolean> {
  const users = await withClient({}, (client) => client.call('ACL', 'USERS'));
  return (users as string[]).includes(username);
}

runDatabaseConformance({
  plugin,
  config: { host: '127.0.0.1', port: 6379 },
  creationStatements: ['["~*", "+@read"]'],
  checkPassword,
  userExists,
  unreachableConfig: { host: '127.0.0.1', port: 1, password: 'conformance-secret' },
});
