/**
 * Throwaway databases on a PostgreSQL server, for tests of this backend and
 * of anything that runs on it. Import it as `@coffer/storage-postgresql/testing`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Returns the URL of the server that tests use: `COFFER_TEST_POSTGRES_URL` when set, else the
 * local server on 127.0.0.1:5432 as user `postgres` with trust auth. The URL
 * names the maintenance database in which test databases are created.
 */
export function testServerUrl(): string {
  return process.env.COFFER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** A database made for one test run. */
export interface ThrowawayDatabase {
  /** Its name, `coffer_test_` and 16 random hex digits. */
  name: string;
  /** A connection URL for it. */
  url: string;
  /** Drops it, ending any connection still open to it. Safe to call twice. */
  drop(): Promise<void>;
}

/**
 * Creates a database with a random name, so that test runs can go side by
 * side on one server.
 *
 * @throws Error when the server cannot be reached or refuses CREATE DATABASE
 */
export async function createThrowawayDatabase(serverUrl = testServerUrl()): Promise<ThrowawayDatabase> {
  const name = `coffer_test_${randomBytes(8).toString('hex')}`;
  await runAdmin(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      // WITH (FORCE), PostgreSQL 13 and later, ends connections that a killed test process left open.
      await runAdmin(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Runs one statement on its own connection to `url`. */
export async function runAdmin(url: string, sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}
