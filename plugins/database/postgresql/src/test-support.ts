/**
 * Helpers for tests against the machine's PostgreSQL server, which trusts
 * local logins: a password is checked against the stored SCRAM verifier.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import pg from 'pg';

export const SERVER = process.env.COFFER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const ROOT_CONFIG = { connection_url: SERVER.replace('postgres@', '{{username}}@'), username: 'postgres', password: '' };
export const CREATE = [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`];

export async function login(username: string, password: string): Promise<string> {
  const url = new URL(SERVER);
  const client = new pg.Client({ host: url.hostname, port: Number(url.port), database: url.pathname.slice(1), user: username, password });
  await client.connect();
  try {
    const result = await client.query<{ user: string }>('SELECT current_user AS user');
    return result.rows[0].user;
  } finally {
    await client.end();
  }
}

/**
 * Checks a password against the SCRAM-SHA-256 verifier PostgreSQL stores,
 * because the test server trusts local logins and never checks passwords.
 */
export async function passwordMatches(name: string, password: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  let verifier: string;
  try {
    verifier = (await client.query<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [name])).rows[0].rolpassword;
  } finally {
    await client.end();
  }
  const [, parameters, keys] = verifier.split('$');
  const [iterations, salt] = parameters.split(':');
  const salted = pbkdf2Sync(password, Buffer.from(salt, 'base64'), Number(iterations), 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
  return keys.split(':')[0] === storedKey;
}

export async function roleExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}
