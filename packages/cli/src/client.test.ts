import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CofferClient,
  ConfigError,
  ConnectionError,
  CurlCommandRequested,
  ResponseError,
  defaultAddress,
  resolveClientConfig,
} from './client.js';
import { readStoredToken, storeToken, tokenFilePath } from './token-helper.js';
import { makeTempDir } from './test-io.js';

interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Starts a loopback server that records requests and responds from a table of canned responses by path. */
async function startRecordingServer(routes: Record<string, { status: number; body?: string }>) {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() });
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      const route = routes[path] ?? { status: 404, body: '{"errors":[]}' };
      response.writeHead(route.status, { 'Content-Type': 'application/json' });
      response.end(route.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, address, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Listens on 127.0.0.1 at the first port of `ports` that is free and returns it. */
async function listenOnFirstFreePort(server: Server, ports: number[]): Promise<number> {
  for (const port of ports) {
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) return port;
  }
  throw new Error(`none of the ports ${ports.join(', ')} is free`);
}

describe('resolveClientConfig', () => {
  let home: { path: string; remove(): Promise<void> };

  before(async () => {
    home = await makeTempDir('coffer-cli-home-');
  });

  after(async () => {
    await home.remove();
  });

  test('defaults to Vault address and no token', async () => {
    const config = await resolveClientConfig({ HOME: home.path });
    assert.equal(config.address, defaultAddress);
    assert.equal(config.address, 'https://127.0.0.1:8200');
    assert.equal(config.token, '');
    assert.equal(config.skipVerify, false);
  });

  test('COFFER variables win over VAULT', async () => {
    const config = await resolveClientConfig({
      HOME: home.path,
      COFFER_ADDR: 'http://127.0.0.1:1/',
      VAULT_ADDR: 'http://127.0.0.1:2',
      COFFER_TOKEN: 'coffer-token',
      VAULT_TOKEN: 'vault-token',
    });
    assert.equal(config.address, 'http://127.0.0.1:1');
    assert.equal(config.token, 'coffer-token');
  });

  test('VAULT variables are the fallback', async () => {
    const config = await resolveClientConfig({ HOME: home.path, VAULT_ADDR: 'http://127.0.0.1:2', VAULT_TOKEN: 'v' });
    assert.equal(config.address, 'http://127.0.0.1:2');
    assert.equal(config.token, 'v');
  });

  test('flag address wins over environment', async () => {
    const config = await resolveClientConfig({ HOME: home.path, COFFER_ADDR: 'http://127.0.0.1:1' }, { address: 'http://127.0.0.1:3' });
    assert.equal(config.address, 'http://127.0.0.1:3');
  });

  test('token file is the last fallback', async () => {
    const env = { HOME: home.path };
    await storeToken(env, 'stored-token\n');
    assert.equal(tokenFilePath(env), join(home.path, '.coffer-token'));
    assert.equal((await stat(tokenFilePath(env))).mode & 0o777, 0o600);
    assert.equal(await readStoredToken(env), 'stored-token');
    assert.equal((await resolveClientConfig(env)).token, 'stored-token');
    assert.equal((await resolveClientConfig({ ...env, VAULT_TOKEN: 'env' })).token, 'env');
  });

  test('missing token file gives empty token', async () => {
    const empty = await makeTempDir('coffer-cli-empty-home-');
    try {
      assert.equal(await readStoredToken({ HOME: empty.path }), '');
    } finally {
      await empty.remove();
    }
  });

  test('skip verify from environment', async () => {
    assert.equal((await resolveClientConfig({ HOME: home.path, VAULT_SKIP_VERIFY: 'true' })).skipVerify, true);
    await assert.rejects(
      resolveClientConfig({ HOME: home.path, COFFER_SKIP_VERIFY: 'yes' }),
      new ConfigError('invalid value "yes" for COFFER_SKIP_VERIFY or VAULT_SKIP_VERIFY: use true or false'),
    );
  });

  test('headers from environment as JSON', async () => {
    const config = await resolveClientConfig({ HOME: home.path, VAULT_HEADERS: '{"X-Team": "blue"}' }, { headers: { 'X-Trace': '1' } });
    assert.deepEqual(config.headers, { 'X-Team': 'blue', 'X-Trace': '1' });
    await assert.rejects(
      resolveClientConfig({ HOME: home.path, COFFER_HEADERS: '{"X-Vault-Token": "t"}' }),
      new ConfigError('invalid COFFER_HEADERS or VAULT_HEADERS: "X-Vault-Token" starts with X-Vault-, which the CLI sets itself'),
    );
    await assert.rejects(
      resolveClientConfig({ HOME: home.path, COFFER_HEADERS: '["X-Team"]' }),
      new ConfigError('invalid COFFER_HEADERS or VAULT_HEADERS: expected a JSON object of header names and string values, such as {"X-Team": "blue"}'),
    );
  });

  test('client timeout defaults to 60s', async () => {
    assert.equal((await resolveClientConfig({ HOME: home.path })).timeoutSeconds, 60);
    assert.equal((await resolveClientConfig({ HOME: home.path, COFFER_CLIENT_TIMEOUT: '2m' })).timeoutSeconds, 120);
    await assert.rejects(
      resolveClientConfig({ HOME: home.path, COFFER_CLIENT_TIMEOUT: 'soon' }),
      new ConfigError('invalid value "soon" for COFFER_CLIENT_TIMEOUT or VAULT_CLIENT_TIMEOUT: expected a positive duration such as 30s or a number of seconds'),
    );
  });

  test('address must be a URL', async () => {
    await assert.rejects(
      resolveClientConfig({ HOME: home.path, COFFER_ADDR: '127.0.0.1:8200' }),
      new ConfigError('invalid server address "127.0.0.1:8200": expected a URL such as http://127.0.0.1:8200 in -address, COFFER_ADDR or VAULT_ADDR'),
    );
  });

  test('unreadable CA file names the path', async () => {
    const missing = join(home.path, 'missing-ca.pem');
    await assert.rejects(resolveClientConfig({ HOME: home.path, COFFER_CACERT: missing }), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, new RegExp(`^error reading CA certificate "${missing}" \\(from -ca-cert, COFFER_CACERT or VAULT_CACERT\\): ENOENT`));
      return true;
    });
  });
});

describe('CofferClient', () => {
  let fake: Awaited<ReturnType<typeof startRecordingServer>>;
  let client: CofferClient;

  before(async () => {
    fake = await startRecordingServer({
      '/v1/secret/foo': { status: 200, body: '{"request_id":"r1","data":{"a":"b"},"lease_duration":60,"warnings":null}' },
      '/v1/secret/empty': { status: 204 },
      '/v1/secret/denied': { status: 403, body: '{"errors":["permission denied","second"]}' },
      '/v1/secret/broken': { status: 502, body: 'upstream fell over' },
      '/v1/secret/deleted': { status: 404, body: '{"data":{"metadata":{"version":2}}}' },
    });
    client = new CofferClient({ address: fake.address, token: 'tok', skipVerify: false });
  });

  after(async () => {
    await fake.close();
  });

  test('sends Vault headers', async () => {
    await client.read('secret/foo');
    const request = fake.seen.at(-1)!;
    assert.equal(request.method, 'GET');
    assert.equal(request.headers['x-vault-token'], 'tok');
    assert.equal(request.headers['x-vault-request'], 'true');
  });

  test('no token header without token', async () => {
    const anonymous = new CofferClient({ address: fake.address, token: '', skipVerify: false });
    await anonymous.read('secret/foo');
    assert.equal(fake.seen.at(-1)!.headers['x-vault-token'], undefined);
  });

  test('read parses envelope', async () => {
    const secret = await client.read('secret/foo', { version: '2' });
    assert.deepEqual(secret?.data, { a: 'b' });
    assert.equal(secret?.lease_duration, 60);
    assert.equal(fake.seen.at(-1)!.url, '/v1/secret/foo?version=2');
  });

  test('read of missing path is null', async () => {
    assert.equal(await client.read('secret/missing'), null);
  });

  test('read of 404 with data returns it', async () => {
    const secret = await client.read('secret/deleted');
    assert.deepEqual(secret?.data, { metadata: { version: 2 } });
  });

  test('list sends GET with list=true', async () => {
    await client.list('secret/');
    const request = fake.seen.at(-1)!;
    assert.equal(request.method, 'GET');
    assert.equal(request.url, '/v1/secret/?list=true');
  });

  test('write sends JSON body', async () => {
    assert.equal(await client.write('secret/empty', { a: 1 }), null);
    const request = fake.seen.at(-1)!;
    assert.equal(request.method, 'PUT');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.body, '{"a":1}');
  });

  test('delete with body sends its length', async () => {
    await client.request('DELETE', 'secret/foo', { body: { version: 'v1' } });
    const request = fake.seen.at(-1)!;
    assert.equal(request.method, 'DELETE');
    assert.equal(request.headers['content-length'], '16');
    assert.equal(request.body, '{"version":"v1"}');
  });

  test('patch uses merge patch type', async () => {
    await client.patch('secret/empty', { data: { a: null } });
    const request = fake.seen.at(-1)!;
    assert.equal(request.method, 'PATCH');
    assert.equal(request.headers['content-type'], 'application/merge-patch+json');
  });

  test('path segments are escaped', async () => {
    await client.read('secret/with space/a@b');
    assert.equal(fake.seen.at(-1)!.url, '/v1/secret/with%20space/a@b');
  });

  test('error response in Vault format', async () => {
    await assert.rejects(client.write('secret/denied', {}), (error: Error) => {
      assert.ok(error instanceof ResponseError);
      assert.equal(error.statusCode, 403);
      assert.equal(
        error.message,
        `Error making API request.\n\nURL: PUT ${fake.address}/v1/secret/denied\nCode: 403. Errors:\n\n* permission denied\n* second`,
      );
      return true;
    });
  });

  test('non-JSON error shows raw message', async () => {
    await assert.rejects(client.read('secret/broken'), (error: Error) => {
      assert.equal(error.message, `Error making API request.\n\nURL: GET ${fake.address}/v1/secret/broken\nCode: 502. Raw Message:\n\nupstream fell over`);
      return true;
    });
  });

  test('delete of missing path is an error', async () => {
    await assert.rejects(client.delete('secret/missing'), (error: Error) => {
      assert.ok(error instanceof ResponseError);
      assert.equal(error.statusCode, 404);
      return true;
    });
  });

  test('refused connection names the fix', async () => {
    const closed = await startRecordingServer({});
    await closed.close();
    const offline = new CofferClient({ address: closed.address, token: '', skipVerify: false });
    await assert.rejects(offline.read('sys/health'), (error: Error) => {
      assert.ok(error instanceof ConnectionError);
      assert.equal(
        error.message,
        `GET ${closed.address}/v1/sys/health: connect ECONNREFUSED ${closed.address.slice('http://'.length)}; ` +
          'check that the server is running and that -address, COFFER_ADDR or VAULT_ADDR points to it',
      );
      return true;
    });
  });

  test('port that fetch blocks is reachable', async () => {
    // Node's fetch rejects these "bad ports" of the Fetch standard, but a server may listen on one.
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end('{"data":{"port":"ok"}}');
    });
    const port = await listenOnFirstFreePort(server, [6000, 6665, 6666, 6667, 6668, 6669, 10080, 5060, 4190]);
    try {
      const blocked = new CofferClient({ address: `http://127.0.0.1:${port}`, token: '', skipVerify: false });
      const secret = await blocked.read('sys/health');
      assert.deepEqual(secret?.data, { port: 'ok' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('readBytes keeps binary body', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      response.end(Buffer.from([0xff, 0x00, 0xfe]));
    });
    const port = await listenOnFirstFreePort(server, [6000, 6665, 6666, 6667, 6668, 6669, 10080, 5060, 4190]);
    try {
      const bytes = await new CofferClient({ address: `http://127.0.0.1:${port}`, token: '', skipVerify: false }).readBytes('sys/storage/snapshot');
      assert.deepEqual([...bytes], [0xff, 0x00, 0xfe]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('redirect keeps method and body', async () => {
    const target = await startRecordingServer({ '/v1/secret/moved': { status: 200, body: '{"data":{"written":true}}' } });
    const redirecting = createServer((request, response) => {
      response.writeHead(307, { Location: `${target.address}${request.url ?? '/'}` });
      response.end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const address = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
      const secret = await new CofferClient({ address, token: 'tok', skipVerify: false }).write('secret/moved', { a: 'b' });
      assert.deepEqual(secret?.data, { written: true });
      const request = target.seen.at(-1)!;
      assert.equal(request.method, 'PUT');
      assert.equal(request.body, '{"a":"b"}');
      assert.equal(request.headers['x-vault-token'], 'tok');
    } finally {
      await new Promise<void>((resolve) => redirecting.close(() => resolve()));
      await target.close();
    }
  });

  test('silent server times out', async () => {
    const silent = createServer(() => {
      // Never responds, as a hung server does.
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const config = await resolveClientConfig({ HOME: '/nonexistent', COFFER_ADDR: address, VAULT_CLIENT_TIMEOUT: '1' });
      assert.equal(config.timeoutSeconds, 1);
      await assert.rejects(new CofferClient(config).read('sys/health'), (error: Error) => {
        assert.ok(error instanceof ConnectionError);
        assert.equal(
          error.message,
          `GET ${address}/v1/sys/health: no response within 1s; check the server, or set COFFER_CLIENT_TIMEOUT to wait longer`,
        );
        return true;
      });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('client timeout past what a timer keeps still waits for the response', async () => {
    // Node fires a timer of more than 2^31 - 1 ms (24.8 days) after 1 ms, and AbortSignal.timeout throws past 2^32 - 1.
    const slow = createServer((_request, response) => {
      setTimeout(() => response.end('{"data":{"ok":true}}'), 50);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    try {
      for (const timeout of ['720h', '100000000']) {
        const config = await resolveClientConfig({ HOME: '/nonexistent', COFFER_ADDR: address, COFFER_CLIENT_TIMEOUT: timeout });
        assert.deepEqual((await new CofferClient(config).read('sys/health'))?.data, { ok: true }, timeout);
      }
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });

  test('https against plain HTTP suggests http address', async () => {
    const plain = await startRecordingServer({});
    try {
      const httpsAddress = plain.address.replace('http:', 'https:');
      const mismatched = new CofferClient({ address: httpsAddress, token: '', skipVerify: false });
      await assert.rejects(mismatched.read('sys/health'), (error: Error) => {
        assert.ok(error instanceof ConnectionError);
        assert.ok(error.message.startsWith(`GET ${httpsAddress}/v1/sys/health: `), error.message);
        assert.ok(error.message.endsWith(`; the server may be serving plain HTTP: if so, set COFFER_ADDR=${plain.address}`), error.message);
        return true;
      });
    } finally {
      await plain.close();
    }
  });
});

describe('CofferClient over TLS', () => {
  let dir: { path: string; remove(): Promise<void> };
  let address: string;
  let closeServer: () => Promise<void>;
  let caPath: string;

  before(async () => {
    dir = await makeTempDir('coffer-cli-tls-');
    const keyPath = join(dir.path, 'key.pem');
    caPath = join(dir.path, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', keyPath, '-out', caPath,
    ], { stdio: 'ignore' });
    const server = createHttpsServer({ key: await readFile(keyPath), cert: await readFile(caPath) }, (request, response) => {
      if (request.url === '/v1/sys/moved') {
        response.writeHead(307, { Location: '/v1/sys/health' });
        response.end();
        return;
      }
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end('{"data":{"tls":true}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
  });

  after(async () => {
    await closeServer();
    await dir.remove();
  });

  test('CA certificate verifies server', async () => {
    const config = await resolveClientConfig({ HOME: dir.path, COFFER_ADDR: address, COFFER_CACERT: caPath });
    const secret = await new CofferClient(config).read('sys/health');
    assert.deepEqual(secret?.data, { tls: true });
  });

  test('unknown CA is rejected with hint', async () => {
    const config = await resolveClientConfig({ HOME: dir.path, COFFER_ADDR: address });
    await assert.rejects(new CofferClient(config).read('sys/health'), (error: Error) => {
      assert.ok(error instanceof ConnectionError);
      assert.ok(error.message.endsWith('; set COFFER_CACERT to the CA certificate that signed the server certificate'), error.message);
      return true;
    });
  });

  test('skip verify accepts any certificate', async () => {
    const config = await resolveClientConfig({ HOME: dir.path, VAULT_ADDR: address, VAULT_SKIP_VERIFY: '1' });
    const secret = await new CofferClient(config).read('sys/health');
    assert.deepEqual(secret?.data, { tls: true });
  });

  test('redirect followed with CA certificate', async () => {
    const config = await resolveClientConfig({ HOME: dir.path, COFFER_ADDR: address, COFFER_CACERT: caPath });
    const secret = await new CofferClient(config).read('sys/moved');
    assert.deepEqual(secret?.data, { tls: true });
  });

  test('token file write keeps owner-only mode', async () => {
    const env = { HOME: dir.path };
    await writeFile(tokenFilePath(env), 'old', { mode: 0o644 });
    await storeToken(env, 'new');
    assert.equal((await stat(tokenFilePath(env))).mode & 0o777, 0o600);
    assert.equal(await readStoredToken(env), 'new');
  });
});

describe('CofferClient over mutual TLS', () => {
  let dir: { path: string; remove(): Promise<void> };
  let address: string;
  let closeServer: () => Promise<void>;
  let env: Record<string, string>;

  /** Writes a self-signed EC certificate and its key into the test folder. */
  function makeCertificate(name: string, subjectAltName: string): { cert: string; key: string } {
    const key = join(dir.path, `${name}-key.pem`);
    const cert = join(dir.path, `${name}.pem`);
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', `/CN=${name}`, '-addext', `subjectAltName=${subjectAltName}`, '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
    return { cert, key };
  }

  before(async () => {
    dir = await makeTempDir('coffer-cli-mtls-');
    const serverFiles = makeCertificate('server', 'IP:127.0.0.1,DNS:coffer.test');
    const clientFiles = makeCertificate('client', 'DNS:client.test');
    const server = createHttpsServer(
      {
        key: await readFile(serverFiles.key),
        cert: await readFile(serverFiles.cert),
        ca: await readFile(clientFiles.cert),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end('{"data":{"mtls":true}}');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
    env = { HOME: dir.path, COFFER_ADDR: address, COFFER_CACERT: serverFiles.cert, COFFER_CLIENT_CERT: clientFiles.cert, COFFER_CLIENT_KEY: clientFiles.key };
  });

  after(async () => {
    await closeServer();
    await dir.remove();
  });

  test('client certificate is presented', async () => {
    const secret = await new CofferClient(await resolveClientConfig(env)).read('sys/health');
    assert.deepEqual(secret?.data, { mtls: true });
  });

  test('missing client certificate fails', async () => {
    const { COFFER_CLIENT_CERT: _cert, COFFER_CLIENT_KEY: _key, ...withoutClient } = env;
    const config = await resolveClientConfig(withoutClient);
    await assert.rejects(new CofferClient(config).read('sys/health'), ConnectionError);
  });

  test('CA folder verifies server', async () => {
    const { COFFER_CACERT: _file, ...withoutFile } = env;
    const config = await resolveClientConfig({ ...withoutFile, VAULT_CAPATH: dir.path });
    const secret = await new CofferClient(config).read('sys/health');
    assert.deepEqual(secret?.data, { mtls: true });
  });

  test('TLS server name is checked', async () => {
    const named = await resolveClientConfig({ ...env }, { tlsServerName: 'coffer.test' });
    assert.deepEqual((await new CofferClient(named).read('sys/health'))?.data, { mtls: true });
    const wrong = await resolveClientConfig({ ...env, VAULT_TLS_SERVER_NAME: 'other.test' });
    await assert.rejects(new CofferClient(wrong).read('sys/health'), ConnectionError);
  });

  test('curl command names the certificate files', async () => {
    const config = await resolveClientConfig(env, { outputCurlString: true });
    await assert.rejects(new CofferClient(config).read('sys/health'), (error: Error) => {
      assert.ok(error instanceof CurlCommandRequested);
      assert.equal(
        error.command,
        `curl --cacert ${env.COFFER_CACERT} --cert ${env.COFFER_CLIENT_CERT} --key ${env.COFFER_CLIENT_KEY} ` +
          `-H "X-Vault-Request: true" ${address}/v1/sys/health`,
      );
      return true;
    });
  });

  test('client certificate without key is rejected', async () => {
    const { COFFER_CLIENT_KEY: _key, ...withoutKey } = env;
    await assert.rejects(
      resolveClientConfig(withoutKey),
      new ConfigError('a client certificate needs its key: set -client-key, COFFER_CLIENT_KEY or VAULT_CLIENT_KEY as well as -client-cert'),
    );
  });
});
