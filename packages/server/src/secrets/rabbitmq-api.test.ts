/**
 * The RabbitMQ engine through a real dev server and the machine's RabbitMQ
 * (management API on 127.0.0.1:15672, administrator guest): issued users
 * log in to the management API with their password, leases renew within
 * config/lease's max TTL, and sys/leases/revoke deletes the user.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer, type ApiResponse } from '../testing/api-client.js';

const ROOT = 'root-rabbitmq-test-token';
const MANAGEMENT_URI = 'http://127.0.0.1:15672';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const DIGITS_POLICY = 'length = 24\nrule "charset" {\n  charset = "0123456789"\n}\n';

/** Calls the RabbitMQ management API as `username`; returns the status and parsed body. */
async function management(method: string, path: string, username = 'guest', password = 'guest', body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${MANAGEMENT_URI}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

describe('rabbitmq over HTTP', () => {
  const prefix = `ce-${randomBytes(4).toString('hex')}`;
  const vhost = `coffer-test-${randomBytes(4).toString('hex')}`;
  let server: RunningServer;
  const call = (method: string, path: string, body?: unknown): Promise<ApiResponse> => api(server, method, path, { token: ROOT, body });
  const connection = { connection_uri: MANAGEMENT_URI, username: 'guest', password: 'guest', username_template: `${prefix}-{{ .DisplayName }}-{{ uuid }}` };

  async function issue(): Promise<ApiResponse> {
    const response = await call('GET', 'rabbitmq/creds/app');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response;
  }

  before(async () => {
    assert.equal((await management('PUT', `/api/vhosts/${vhost}`)).status, 201);
    server = await startDevServer(ROOT);
    assert.equal((await call('POST', 'sys/mounts/rabbitmq', { type: 'rabbitmq' })).status, 204);
    const configured = await call('POST', 'rabbitmq/config/connection', connection);
    assert.equal(configured.status, 204, JSON.stringify(configured.body));
    assert.equal((await call('POST', 'rabbitmq/config/lease', { ttl: '10m', max_ttl: '30m' })).status, 204);
    const role = await call('POST', 'rabbitmq/roles/app', { tags: 'management', vhosts: JSON.stringify({ [vhost]: { configure: '.*', write: '.*', read: '.*' } }) });
    assert.equal(role.status, 204, JSON.stringify(role.body));
  });
  after(async () => {
    await server.close();
    const { body } = await management('GET', '/api/users');
    for (const { name } of body as { name: string }[]) {
      if (name.startsWith(prefix)) await management('DELETE', `/api/users/${encodeURIComponent(name)}`);
    }
    await management('DELETE', `/api/vhosts/${vhost}`);
  });

  test('creds issue a leased user', async () => {
    const response = await issue();
    const { username, password } = response.body.data;

    assert.match(username, new RegExp(`^${prefix}-root-${UUID}$`));
    assert.match(response.body.lease_id, /^rabbitmq\/creds\/app\/\w+/);
    assert.equal(response.body.lease_duration, 600);
    assert.equal(response.body.renewable, true);
    assert.deepEqual(Object.keys(response.body.data).sort(), ['password', 'username']);

    const whoami = await management('GET', '/api/whoami', username, password);
    assert.equal(whoami.status, 200);
    assert.deepEqual(whoami.body, { name: username, tags: ['management'] });
    const permissions = await management('GET', `/api/users/${encodeURIComponent(username)}/permissions`);
    assert.deepEqual(permissions.body, [{ user: username, vhost, configure: '.*', write: '.*', read: '.*' }]);
  });

  test('renew is capped at max_ttl', async () => {
    const response = await issue();

    const renewed = await call('PUT', 'sys/leases/renew', { lease_id: response.body.lease_id, increment: 3600 });

    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal(renewed.body.lease_id, response.body.lease_id);
    assert.ok(renewed.body.lease_duration <= 1800, `lease_duration ${renewed.body.lease_duration}`);
    assert.ok(renewed.body.lease_duration >= 1795, `lease_duration ${renewed.body.lease_duration}`);
    assert.equal(renewed.body.warnings.length, 1);
    assert.match(renewed.body.warnings[0], /^TTL of "1h0m0s" exceeded the effective max_ttl of "(30m0s|29m5\ds)"; TTL value is capped accordingly$/);
  });

  test('sys/leases/revoke deletes the user', async () => {
    const response = await issue();
    const { username, password } = response.body.data;
    assert.equal((await management('GET', '/api/whoami', username, password)).status, 200);

    const revoked = await call('PUT', 'sys/leases/revoke', { lease_id: response.body.lease_id });

    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    assert.equal((await management('GET', `/api/users/${encodeURIComponent(username)}`)).status, 404);
    assert.equal((await management('GET', '/api/whoami', username, password)).status, 401);
    const lookup = await call('PUT', 'sys/leases/lookup', { lease_id: response.body.lease_id });
    assert.equal(lookup.status, 400);
    assert.deepEqual(lookup.body, { errors: ['invalid lease'] });
  });

  test('password policy shapes passwords', async () => {
    assert.equal((await call('PUT', 'sys/policies/password/rabbit-digits', { policy: DIGITS_POLICY })).status, 204);
    const configured = await call('POST', 'rabbitmq/config/connection', { ...connection, password_policy: 'rabbit-digits' });
    assert.equal(configured.status, 204, JSON.stringify(configured.body));

    const { username, password } = (await issue()).body.data;

    assert.match(password, /^\d{24}$/);
    assert.equal((await management('GET', '/api/whoami', username, password)).status, 200);
    assert.equal((await call('POST', 'rabbitmq/config/connection', connection)).status, 204);
  });

  test('unknown password policy is rejected', async () => {
    const response = await call('POST', 'rabbitmq/config/connection', { ...connection, password_policy: 'nosuch' });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['invalid field "password_policy": password policy "nosuch" not found: write it to sys/policies/password/nosuch or name another policy'] });
  });

  test('wrong admin password is rejected', async () => {
    const response = await call('POST', 'rabbitmq/config/connection', { ...connection, password: 'wrong-admin-secret' });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, {
      errors: [
        'failed to validate the connection: failed to list users: RabbitMQ returned 401 Unauthorized: Login failed; check "username" and "password", and that the user has the administrator tag',
      ],
    });
    // The stored connection still works.
    assert.equal((await call('GET', 'rabbitmq/creds/app')).status, 200);
  });

  test('connection settings are not readable', async () => {
    const response = await call('GET', 'rabbitmq/config/connection');
    assert.equal(response.status, 405);
    assert.deepEqual(response.body, { errors: ['read operation not supported on path "config/connection"'] });
  });
});
