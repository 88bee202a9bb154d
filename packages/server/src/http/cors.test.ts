import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { CORS_CONFIG_KEY, STANDARD_ALLOWED_HEADERS } from './cors.js';

const ROOT = 'root-cors-token';
const APP = 'https://app.example.com';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends a request with any headers, `Origin` included, which fetch may not send as given. */
function send(server: RunningServer, method: string, path: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${server.address}${path}`, { method, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

async function readConfig(server: RunningServer): Promise<unknown> {
  const response = await api(server, 'GET', 'sys/config/cors', { token: ROOT });
  assert.equal(response.status, 200);
  return response.body.data;
}

describe('sys/config/cors', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
  });
  after(() => server.close());

  test('off by default, with no headers', async () => {
    assert.deepEqual(await readConfig(server), { enabled: false, allowed_origins: [], allowed_headers: [] });
    const response = await send(server, 'GET', '/v1/sys/health', { Origin: APP });
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  test('bad writes change nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'missing field "allowed_origins": give "*" or the origins that may make cross-origin requests, such as "https://app.example.com"'],
      [{ allowed_origins: '*,https://a.example' }, 'invalid field "allowed_origins": to allow all origins, "*" must be its only value'],
      [{ allowed_origins: 'app.example.com' }, 'invalid field "allowed_origins": "app.example.com" is not an origin, which is a scheme and host with no path, such as "https://app.example.com"'],
      [{ allowed_origins: 'https://app.example.com/path' }, 'invalid field "allowed_origins": "https://app.example.com/path" is not an origin, which is a scheme and host with no path, such as "https://app.example.com"'],
      [{ allowed_origins: APP, allowed_headers: 'X Bad' }, 'invalid field "allowed_headers": "X Bad" is not an HTTP header name'],
    ];
    for (const [body, message] of cases) {
      const response = await api(server, 'POST', 'sys/config/cors', { token: ROOT, body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.deepEqual(response.body.errors, [message]);
    }
    assert.deepEqual(await readConfig(server), { enabled: false, allowed_origins: [], allowed_headers: [] });
    assert.equal(await server.core.barrier.get(CORS_CONFIG_KEY), null);
  });

  test('allowed origin gets the headers', async () => {
    const write = await api(server, 'POST', 'sys/config/cors', { token: ROOT, body: { allowed_origins: [APP], allowed_headers: 'X-Custom,content-type' } });
    assert.equal(write.status, 204);
    assert.deepEqual(await readConfig(server), { enabled: true, allowed_origins: [APP], allowed_headers: [...STANDARD_ALLOWED_HEADERS, 'X-Custom'] });

    const response = await send(server, 'GET', '/v1/sys/health', { Origin: APP });
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], APP);
    assert.equal(response.headers.vary, 'Origin');
  });

  test('other origins get 403', async () => {
    const response = await send(server, 'GET', '/v1/sys/health', { Origin: 'https://evil.example' });
    assert.equal(response.status, 403);
    assert.deepEqual(JSON.parse(response.body), { errors: ['origin not allowed'] });
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  test('preflight lists methods and headers', async () => {
    const response = await send(server, 'OPTIONS', '/v1/secret/data/x', { Origin: APP, 'Access-Control-Request-Method': 'PUT' });
    assert.equal(response.status, 204);
    assert.equal(response.headers['access-control-allow-origin'], APP);
    assert.equal(response.headers['access-control-allow-methods'], 'DELETE,GET,OPTIONS,POST,PUT,LIST');
    assert.equal(response.headers['access-control-allow-headers'], [...STANDARD_ALLOWED_HEADERS, 'X-Custom'].join(','));
    assert.equal(response.headers['access-control-max-age'], '300');

    const patch = await send(server, 'OPTIONS', '/v1/secret/data/x', { Origin: APP, 'Access-Control-Request-Method': 'PATCH' });
    assert.equal(patch.status, 405);
  });

  test('requests without origin pass', async () => {
    const response = await send(server, 'GET', '/v1/sys/health', {});
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], undefined);

    // Vault treats an empty Origin header as none.
    const empty = await send(server, 'GET', '/v1/sys/health', { Origin: '' });
    assert.equal(empty.status, 200);
    assert.equal(empty.headers['access-control-allow-origin'], undefined);
  });

  test('own origin passes, as for the ui', async () => {
    const response = await send(server, 'GET', '/v1/sys/health', { Origin: server.address });
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  test('own host behind a tls proxy passes', async () => {
    // A proxy that ends TLS forwards the browser's https Origin over plain HTTP, with the Host unchanged.
    const host = new URL(server.address).host;
    const response = await send(server, 'POST', '/v1/sys/health', { Origin: `https://${host}` });
    assert.notEqual(response.status, 403);
    assert.equal(response.headers['access-control-allow-origin'], undefined);

    const otherPort = await send(server, 'GET', '/v1/sys/health', { Origin: 'http://127.0.0.1:1' });
    assert.equal(otherPort.status, 403);
    assert.deepEqual(JSON.parse(otherPort.body), { errors: ['origin not allowed'] });
  });

  test('stored encrypted and kept across seal', async () => {
    const stored = await server.core.barrier.get(CORS_CONFIG_KEY);
    assert.notEqual(stored, null);
    // The barrier decrypts, so the physical backend's copy must be ciphertext.
    const sealedCopy = await server.core.options.physical.get(CORS_CONFIG_KEY);
    assert.notEqual(sealedCopy, null);
    assert.equal(sealedCopy!.value.toString('latin1').includes('app.example.com'), false);

    await api(server, 'PUT', 'sys/seal', { token: ROOT });
    await api(server, 'PUT', 'sys/unseal', { body: { key: server.dev!.unsealKey } });
    assert.deepEqual(await readConfig(server), { enabled: true, allowed_origins: [APP], allowed_headers: [...STANDARD_ALLOWED_HEADERS, 'X-Custom'] });
  });

  test('every operation needs sudo', async () => {
    const policy = 'path "sys/config/cors" {\n  capabilities = ["create", "read", "update", "delete"]\n}\n';
    await api(server, 'PUT', 'sys/policies/acl/cors-no-sudo', { token: ROOT, body: { policy } });
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['cors-no-sudo'] } });
    const token = created.body.auth.client_token as string;
    for (const method of ['GET', 'POST', 'DELETE']) {
      const response = await api(server, method, 'sys/config/cors', { token, body: method === 'POST' ? { allowed_origins: '*' } : undefined });
      assert.equal(response.status, 403, method);
    }
    assert.equal((await readConfig(server) as { enabled: boolean }).enabled, true);
  });

  test('delete turns it off', async () => {
    const response = await api(server, 'DELETE', 'sys/config/cors', { token: ROOT });
    assert.equal(response.status, 204);
    assert.deepEqual(await readConfig(server), { enabled: false, allowed_origins: [], allowed_headers: [] });
    assert.equal(await server.core.barrier.get(CORS_CONFIG_KEY), null);
    const crossOrigin = await send(server, 'GET', '/v1/sys/health', { Origin: 'https://evil.example' });
    assert.equal(crossOrigin.status, 200);
  });
});
