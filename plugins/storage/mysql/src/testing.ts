/**
 * Throwaway databases on a MySQL or MariaDB server, for tests of this
 * backend and of anything that runs on it. Import it as
 * `@coffer/storage-mysql/testing`.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

/** A server that tests connect to. */
export interface TestServer {
  host: string;
  port: number;
  username: string;
  password: string;
}

/**
 * Returns the server that tests use: `COFFER_TEST_MYSQL_ADDRESS`,
 * `COFFER_TEST_MYSQL_USERNAME` and `COFFER_TEST_MYSQL_PASSWORD` when set,
 * else the local server on 127.0.0.1:3306 as `root` with no password.
 * The account must be allowed to create and drop databases.
 */
export function testServer(): TestServer {
  const [host, port] = (process.env.COFFER_TEST_MYSQL_ADDRESS ?? '127.0.0.1:3306').split(':');
  return {
    host,
    port: Number(port ?? '3306'),
    username: process.env.COFFER_TEST_MYSQL_USERNAME ?? 'root',
    password: process.env.COFFER_TEST_MYSQL_PASSWORD ?? '',
  };
}

/** Returns a database name that no other test run uses: `coffer_test_` and 16 random hex digits. */
export function throwawayDatabaseName(): string {
  return `coffer_test_${randomBytes(8).toString('hex')}`;
}

/** Returns the stanza settings for `database` on the test server, plus `extra`. */
export function testSettings(database: string, extra: Record<string, string> = {}): Record<string, string> {
  const server = testServer();
  return { address: `${server.host}:${server.port}`, username: server.username, password: server.password, database, ...extra };
}

/** Drops `database` if it exists. Safe to call twice. */
export async function dropDatabase(database: string): Promise<void> {
  await runAdmin(`DROP DATABASE IF EXISTS \`${database}\``);
}

/** Runs one statement on its own connection to the test server and returns its rows, or its result header for a write. */
export async function runAdmin(sql: string, values: unknown[] = []): Promise<unknown> {
  const server = testServer();
  const connection = await mysql.createConnection({ host: server.host, port: server.port, user: server.username, password: server.password });
  try {
    const [result] = await connection.query(sql, values);
    return result;
  } finally {
    await connection.end();
  }
}
