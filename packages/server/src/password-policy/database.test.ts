import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { RunningServer } from '../server.js';
import { api, startDevServer, type ApiResponse } from '../testing/api-client.js';

const ROOT_TOKEN = 'root-password-policy-db-test';
const POSTGRES_URL = process.env.COFFER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
const ABC123_POLICY = 'length = 30\nrule "charset" {\n  charset = "abc123"\n}\n';

async function query<Row extends pg.QueryResultRow>(sql: string, values: unknown[] = [], user = 'postgres'): Promise<Row[]> {
  const url = new URL(POSTGRES_URL);
  const client = new pg.Client({ host: url.hostname, port: Number(url.port), database: url.pathname.slice(1), user, password: 'unused' });
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Checks a password against the SCRAM-SHA-256 verifier PostgreSQL stored
 * (RFC 7677), because the test server trusts loopback logins and never checks
 * the password itself.
 */
async function passwordMatches(role: string, password: string): Promise<boolean> {
  const [row] = await query<{ verifier: string }>('SELECT rolpassword AS verifier FROM pg_authid WHERE rolname = $1', [role]);
  const [, iterationsAndSalt, keys] = row.verifier.split('$');
  const [iterations, salt] = iterationsAndSalt.split(':');
  const saltedPassword = pbkdf2Sync(password, Buffer.from(salt, 'base64'), Number(iterations), 32, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  return createHash('sha256').update(clientKey).digest('base64') === keys.split(':')[0];
}

describe('database engine with password policies', () => {
  let server: RunningServer;
  const account = `t${randomBytes(4).toString('hex')}-static`;
  const created: string[] = [];
  const call = (method: string, path: string, body?: unknown): Promise<ApiResponse> => api(server, method, path, { token: ROOT_TOKEN, body });

  async function issue(role: string): Promise<{ username: string; password: string }> {
    const response = await call('GET', `db/creds/${role}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    created.push(response.body.data.username);
    return response.body.data;
  }

  before(async () => {
    server = await startDevServer(ROOT_TOKEN);
    await query(`CREATE ROLE "${account}" LOGIN PASSWORD 'initial-password'`);
    assert.equal((await call('POST', 'sys/mounts/db', { type: 'database' })).status, 204);
    assert.equal((await call('PUT', 'sys/policies/password/abc123', { policy: ABC123_POLICY })).status, 204);
    const configured = await call('PUT', 'db/config/pg', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: POSTGRES_URL.replace('postgres@', '{{username}}@'),
      username: 'postgres',
      allowed_roles: '*',
      password_policy: 'abc123',
    });
    assert.equal(configured.status, 204, JSON.stringify(configured.body));
    assert.equal((await call('PUT', 'db/roles/pwpolrdr', { db_name: 'pg', creation_statements: CREATE, default_ttl: '5m' })).status, 204);
  });
  after(async () => {
    await server.close();
    for (const name of [...created, account]) await query(`DROP ROLE IF EXISTS "${name}"`);
  });

  test('config reports the policy', async () => {
    assert.equal((await call('GET', 'db/config/pg')).body.data.password_policy, 'abc123');
  });

  test('dynamic user gets a policy password', async () => {
    const { username, password } = await issue('pwpolrdr');
    assert.equal(password.length, 30);
    assert.match(password, /^[abc123]+$/);
    assert.deepEqual(await query('SELECT current_user AS name', [], username), [{ name: username }]);
    assert.equal(await passwordMatches(username, password), true);
  });

  test('static role rotates to a policy password', async () => {
    assert.equal((await call('PUT', 'db/static-roles/app', { db_name: 'pg', username: account, rotation_period: '1h' })).status, 204);
    const creds = await call('GET', 'db/static-creds/app');
    assert.equal(creds.status, 200);
    const password: string = creds.body.data.password;
    assert.match(password, /^[abc123]{30}$/);
    assert.equal(await passwordMatches(account, password), true);
  });

  test('without a policy the default applies', async () => {
    assert.equal((await call('PUT', 'db/config/pg', { password_policy: '' })).status, 204);
    const { password } = await issue('pwpolrdr');
    assert.match(password, /^[A-Za-z0-9-]{20}$/);
    for (const required of [/[a-z]/, /[A-Z]/, /[0-9]/, /-/]) assert.match(password, required);
    assert.equal((await call('PUT', 'db/config/pg', { password_policy: 'abc123' })).status, 204);
  });

  test('unknown policy fails creds and creates no user', async () => {
    assert.equal((await call('PUT', 'db/config/pg', { password_policy: 'nosuch' })).status, 204);
    const rolesBefore = await query<{ count: string }>("SELECT count(*) AS count FROM pg_roles WHERE rolname LIKE 'v-root-pwpolrdr-%'");
    const response = await call('GET', 'db/creds/pwpolrdr');
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['password policy "nosuch" not found: write it to sys/policies/password/nosuch or name another policy'] });
    assert.deepEqual(await query("SELECT count(*) AS count FROM pg_roles WHERE rolname LIKE 'v-root-pwpolrdr-%'"), rolesBefore);
    assert.equal((await call('PUT', 'db/config/pg', { password_policy: 'abc123' })).status, 204);
  });
});
