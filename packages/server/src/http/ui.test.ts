import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { startConfiguredServer, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';

async function get(server: RunningServer, path: string, method = 'GET'): Promise<Response> {
  return fetch(`${server.address}${path}`, { method, redirect: 'manual' });
}

/** Sends a GET for `path` exactly as written; fetch would resolve its dot segments first. */
function rawGet(server: RunningServer, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(new URL(server.address), { path, method: 'GET' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.once('error', reject);
    outgoing.end();
  });
}

describe('ui files', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
  });
  after(() => server.close());

  test('root redirects to the ui', async () => {
    const response = await get(server, '/');
    assert.equal(response.status, 307);
    assert.equal(response.headers.get('location'), '/ui/');
  });

  test('ui without slash redirects', async () => {
    const response = await get(server, '/ui?x=1');
    assert.equal(response.status, 307);
    assert.equal(response.headers.get('location'), '/ui/');
  });

  test('index page has strict headers', async () => {
    const response = await get(server, '/ui/');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(response.headers.get('content-security-policy') ?? '', /^default-src 'none'; script-src 'self';/);
    assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const html = await response.text();
    assert.match(html, /<script type="module" src="\/ui\/app\/main.js"><\/script>/);
  });

  test('scripts and styles have their types', async () => {
    const script = await get(server, '/ui/app/main.js');
    assert.equal(script.status, 200);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.match(await script.text(), /renderSafely\(\)/);
    const style = await get(server, '/ui/style.css');
    assert.equal(style.status, 200);
    assert.equal(style.headers.get('content-type'), 'text/css; charset=utf-8');
  });

  test('a page path gets the index', async () => {
    const response = await get(server, '/ui/vault/secrets');
    assert.equal(response.status, 200);
    assert.match(await response.text(), /<div id="app">/);
  });

  test('an unknown file is not found', async () => {
    for (const path of ['/ui/app/missing.js', '/ui/app/main.d.ts', '/ui/..%2fpackage.json']) {
      const response = await get(server, path);
      assert.equal(response.status, 404, path);
      assert.equal(await response.text(), 'not found\n', path);
    }
    // fetch resolves the dots to /package.json, which the API does not know.
    const escaped = await get(server, '/ui/%2e%2e/package.json');
    assert.equal(escaped.status, 404);
    assert.deepEqual(await escaped.json(), { errors: [] });
  });

  test('dot segments sent as is stay inside', async () => {
    // node:http sends the path unchanged, as a hostile client would.
    for (const path of ['/ui/app/../../package.json', '/ui/%2e%2e/%2e%2e/package.json', '/ui/app/..%2f..%2fpackage.json', '/ui/app/../../src/main.ts']) {
      const response = await rawGet(server, path);
      assert.equal(response.status, 404, path);
      assert.equal(response.body, 'not found\n', path);
    }
  });

  test('head sends headers only', async () => {
    const response = await get(server, '/ui/style.css', 'HEAD');
    assert.equal(response.status, 200);
    assert.notEqual(response.headers.get('content-length'), '0');
    assert.equal(await response.text(), '');
  });

  test('writes to the ui are rejected', async () => {
    const response = await fetch(`${server.address}/ui/`, { method: 'POST', body: 'x' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, HEAD');
  });

  test('the api still answers', async () => {
    const response = await fetch(`${server.address}/v1/sys/health`);
    assert.equal(response.status, 200);
    const other = await get(server, '/v2/sys/health');
    assert.equal(other.status, 404);
  });
});

describe('ui off', () => {
  test('ui paths are not found without ui = true', async () => {
    const server = await startConfiguredServer();
    try {
      for (const path of ['/', '/ui/', '/ui/app/main.js']) {
        const response = await get(server, path);
        assert.equal(response.status, 404, path);
      }
    } finally {
      await server.close();
    }
  });
});
