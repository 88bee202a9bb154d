import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { api } from '../testing/api-client.js';
import { registerNodePlugin, startPluginTestServer, waitForExit, waitForExitHandled, type PluginTestServer } from './test-support.js';

const POSTGRES_URL = process.env.COFFER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;

async function roleExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

/** Waits up to 5 s for the supervisor to run the plugin under a new process ID. */
describe('external database plugins', () => {
  let server: PluginTestServer;
  let sha256: string;
  const created: string[] = [];
  const call = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.token, body });

  before(async () => {
    server = await startPluginTestServer();
    sha256 = await registerNodePlugin(server, 'database', 'pg-external', 'database');
    assert.equal((await call('POST', 'sys/mounts/db', { type: 'database' })).status, 204);
  });
  after(async () => {
    await server.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    for (const name of created) await client.query(`DROP ROLE IF EXISTS "${name}"`);
    await client.end();
  });

  test('catalog lists database plugins', async () => {
    const listed = await call('LIST', 'sys/plugins/catalog/database');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data.keys, ['mysql-database-plugin', 'pg-external', 'postgresql-database-plugin', 'redis-database-plugin']);
    const read = await call('GET', 'sys/plugins/catalog/database/pg-external');
    assert.deepEqual(read.body.data, { name: 'pg-external', type: 'database', command: 'pg-external', args: [], sha256, version: '', builtin: false });
    const all = await call('GET', 'sys/plugins/catalog');
    assert.deepEqual(all.body.data.database, ['mysql-database-plugin', 'pg-external', 'postgresql-database-plugin', 'redis-database-plugin']);
  });

  test('unknown plugin is rejected and nothing stored', async () => {
    const written = await call('PUT', 'db/config/missing', { plugin_name: 'nosuch', connection_url: 'postgresql://x@127.0.0.1/test' });
    assert.equal(written.status, 400);
    assert.deepEqual(written.body.errors, [
      'invalid field "plugin_name": no database plugin named "nosuch"; use a built-in plugin or register one under sys/plugins/catalog/database/nosuch',
    ]);
    assert.equal((await call('GET', 'db/config/missing')).status, 404);
    assert.equal((await call('LIST', 'db/config')).status, 404);
  });

  test('engine creates and revokes a user', async () => {
    const configured = await call('PUT', 'db/config/pg', {
      plugin_name: 'pg-external',
      connection_url: POSTGRES_URL.replace('postgres@', '{{username}}@'),
      username: 'postgres',
      allowed_roles: '*',
    });
    assert.equal(configured.status, 204, JSON.stringify(configured.body));
    assert.equal((await call('PUT', 'db/roles/reader', { db_name: 'pg', creation_statements: CREATE, default_ttl: '5m' })).status, 204);

    const creds = await call('GET', 'db/creds/reader');
    assert.equal(creds.status, 200, JSON.stringify(creds.body));
    const username = creds.body.data.username as string;
    created.push(username);
    assert.match(username, /^v-root-reader-[A-Za-z0-9]{20}-\d+$/);
    assert.equal(creds.body.lease_duration, 300);
    assert.equal(creds.body.renewable, true);
    assert.match(creds.body.lease_id, /^db\/creds\/reader\//);
    assert.equal(await roleExists(username), true);
    assert.equal(server.core.plugins.supervisor.pids('pg-external').length, 1);

    const renewed = await call('PUT', 'sys/leases/renew', { lease_id: creds.body.lease_id, increment: 600 });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal(renewed.body.lease_duration, 600);

    assert.equal((await call('PUT', 'sys/leases/revoke', { lease_id: creds.body.lease_id })).status, 204);
    assert.equal(await roleExists(username), false);
  });

  test('killed plugin is restarted', async () => {
    const [pid] = server.core.plugins.supervisor.pids('pg-external');
    process.kill(pid, 'SIGKILL');
    assert.equal(await waitForExit(pid), true);
    assert.equal(await waitForExitHandled(server, pid), true);
    assert.deepEqual(server.core.plugins.supervisor.pids('pg-external'), [], 'the next call restarts it');

    const creds = await call('GET', 'db/creds/reader');
    assert.equal(creds.status, 200, JSON.stringify(creds.body));
    created.push(creds.body.data.username);
    assert.equal(await roleExists(creds.body.data.username), true);
    const [restarted] = server.core.plugins.supervisor.pids('pg-external');
    assert.notEqual(restarted, pid);
    assert.equal((await call('PUT', 'sys/leases/revoke', { lease_id: creds.body.lease_id })).status, 204);
    assert.equal(await roleExists(creds.body.data.username), false);
  });

  test('crash during a call fails it clearly', async () => {
    assert.equal((await call('PUT', 'db/roles/crash', { db_name: 'pg', creation_statements: CREATE })).status, 204);
    const [pid] = server.core.plugins.supervisor.pids('pg-external');
    const creds = await call('GET', 'db/creds/crash');
    assert.equal(creds.status, 500);
    assert.equal(creds.body.errors.length, 1);
    assert.match(
      creds.body.errors[0],
      /^database plugin "pg-external" stopped while handling NewUser \(.+\); it restarts on the next request, so retry the request$/,
    );
    assert.equal(await waitForExit(pid), true);

    const next = await call('GET', 'db/creds/reader');
    assert.equal(next.status, 200, JSON.stringify(next.body));
    created.push(next.body.data.username);
    assert.equal((await call('PUT', 'sys/leases/revoke', { lease_id: next.body.lease_id })).status, 204);
  });
});
