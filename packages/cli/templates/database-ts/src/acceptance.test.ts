/**
 * Runs the built plugin (dist/index.js) under a real Coffer dev server:
 * registers it by SHA-256 under sys/plugins/catalog/database/, mounts the
 * database secrets engine and creates, renews and revokes a user. Build first.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UsersDatabase } from './users-database.js';
import { startTestServer, type TestServer } from './test-server.js';

describe('__NAME__ under a real server', () => {
  let coffer: TestServer;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), '__NAME__-acceptance-'));
    coffer = await startTestServer('database', '__NAME__');
  });

  after(async () => {
    await coffer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('creds, renew and revoke', async () => {
    const path = join(dir, 'users.db');
    assert.equal((await coffer.call('POST', 'sys/mounts/database', { type: 'database' })).status, 204);
    const config = await coffer.call('POST', 'database/config/users', { plugin_name: '__NAME__', path, username: 'admin', password: 'admin-password', allowed_roles: 'app' });
    assert.equal(config.status, 204, `${JSON.stringify(config.body)}\n${coffer.logLines.join('')}`);
    const creation = ["INSERT INTO users (name, password_hash, expires_at) VALUES ('{{name}}', '{{password_hash}}', '{{expiration}}');"];
    const role = await coffer.call('POST', 'database/roles/app', { db_name: 'users', creation_statements: creation, default_ttl: '1h', max_ttl: '2h' });
    assert.equal(role.status, 204, JSON.stringify(role.body));

    const creds = await coffer.call('GET', 'database/creds/app');
    assert.equal(creds.status, 200, JSON.stringify(creds.body));
    const { username, password } = creds.body.data;
    const check = new UsersDatabase();
    await check.initialize({ config: { path }, verifyConnection: false });
    assert.equal(check.logsIn(username, password), true);

    const renewed = await coffer.call('PUT', 'sys/leases/renew', { lease_id: creds.body.lease_id, increment: 7200 });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal((await coffer.call('PUT', 'sys/leases/revoke', { lease_id: creds.body.lease_id })).status, 204);
    assert.equal(check.logsIn(username, password), false);
    await check.close();
  });
});
