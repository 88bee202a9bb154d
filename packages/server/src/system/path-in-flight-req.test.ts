import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { InFlightRequests, type InFlightEntry } from './path-in-flight-req.js';

const ROOT = 'root-in-flight-token';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('sys/in-flight-req', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
  });
  after(() => server.close());

  const readRaw = async (token: string): Promise<{ status: number; contentType: string | null; body: any }> => {
    const response = await fetch(`${server.address}/v1/sys/in-flight-req`, { headers: { 'X-Vault-Token': token } });
    return { status: response.status, contentType: response.headers.get('content-type'), body: JSON.parse(await response.text()) };
  };

  test('lists itself with no envelope', async () => {
    const started = Date.now();
    const response = await readRaw(ROOT);

    assert.equal(response.status, 200);
    assert.equal(response.contentType, 'application/json');
    const ids = Object.keys(response.body);
    assert.equal(ids.length, 1);
    assert.match(ids[0], UUID);
    const entry = response.body[ids[0]];
    assert.deepEqual(Object.keys(entry).sort(), ['client_id', 'client_remote_address', 'request_method', 'request_path', 'start_time']);
    assert.equal(entry.request_path, '/v1/sys/in-flight-req');
    assert.equal(entry.request_method, 'GET');
    assert.equal(entry.client_id, '');
    assert.match(entry.client_remote_address, /^127\.0\.0\.1:\d+$/);
    const startTime = Date.parse(entry.start_time);
    assert.ok(startTime >= started - 5, entry.start_time);
    assert.ok(startTime <= Date.now(), entry.start_time);
    assert.equal(server.core.inFlight.size, 0, 'the answered request is no longer listed');
  });

  test('lists another request until it is answered', async () => {
    let finish!: () => void;
    const pending = new Promise<void>((resolve) => (finish = resolve));
    const startTime = Date.parse('2026-03-01T12:00:00.000Z');
    const tracked = server.core.trackRequest(pending, {
      metric: 'core.handle_request',
      requestId: 'held-request',
      startedAt: startTime - performance.timeOrigin,
      message: { method: 'PUT', url: '/v1/secret/data/app?version=2', socket: { remoteAddress: '::1', remotePort: 50123 } },
      previous: undefined,
      next: undefined,
    });

    const during = await readRaw(ROOT);
    assert.deepEqual(during.body['held-request'], {
      start_time: '2026-03-01T12:00:00.000Z',
      client_remote_address: '[::1]:50123',
      request_path: '/v1/secret/data/app',
      request_method: 'PUT',
      client_id: '',
    });
    assert.equal(Object.keys(during.body).length, 2);

    finish();
    await tracked;
    const afterwards = await readRaw(ROOT);
    assert.equal(afterwards.body['held-request'], undefined);
    assert.equal(Object.keys(afterwards.body).length, 1);
  });

  test('reports the entity as client_id', async () => {
    const entity = await api(server, 'POST', 'identity/entity', { token: ROOT, body: { name: 'in-flight-user', policies: ['in-flight-reader'] } });
    const entityId = entity.body.data.id as string;
    const policy = 'path "sys/in-flight-req" { capabilities = ["read"] }';
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/in-flight-reader', { token: ROOT, body: { policy } })).status, 204);
    assert.equal((await api(server, 'POST', 'sys/auth/userpass', { token: ROOT, body: { type: 'userpass' } })).status, 204);
    assert.equal((await api(server, 'POST', 'auth/userpass/users/flight', { token: ROOT, body: { password: 'flight-pass' } })).status, 204);
    const accessor = (await api(server, 'GET', 'sys/auth', { token: ROOT })).body.data['userpass/'].accessor as string;
    const alias = await api(server, 'POST', 'identity/entity-alias', { token: ROOT, body: { name: 'flight', canonical_id: entityId, mount_accessor: accessor } });
    assert.equal(alias.status, 200);
    const login = await api(server, 'POST', 'auth/userpass/login/flight', { body: { password: 'flight-pass' } });
    const token = login.body.auth.client_token as string;

    const response = await readRaw(token);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const [entry] = Object.values(response.body) as Array<{ client_id: string }>;
    assert.equal(entry.client_id, entityId);
  });

  test('needs a policy for the path but not sudo', async () => {
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } });
    const denied = await readRaw(created.body.auth.client_token);
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, { errors: ['permission denied'] });
  });
});

describe('in-flight request list', () => {
  function entry(requestId: string): InFlightEntry {
    return { requestId, startedAt: 0, message: { socket: {} }, previous: undefined, next: undefined };
  }

  function ids(list: InFlightRequests): string[] {
    return [...list.entries()].map(([requestId]) => requestId);
  }

  test('keeps order through removals', () => {
    const list = new InFlightRequests();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(entry);
    for (const item of [a, b, c, d]) list.add(item);

    list.delete(b);
    assert.deepEqual(ids(list), ['a', 'c', 'd']);
    list.delete(a);
    assert.deepEqual(ids(list), ['c', 'd']);
    list.delete(d);
    assert.deepEqual(ids(list), ['c']);
    assert.equal(list.size, 1);

    list.add(b);
    assert.deepEqual(ids(list), ['c', 'b']);
    list.delete(c);
    list.delete(b);
    assert.deepEqual(ids(list), []);
    assert.equal(list.size, 0);
  });

  test('second removal changes nothing', () => {
    const list = new InFlightRequests();
    const [a, b] = ['a', 'b'].map(entry);
    list.add(a);
    list.add(b);

    list.delete(a);
    list.delete(a);

    assert.deepEqual(ids(list), ['b']);
    assert.equal(list.size, 1);
  });
});
