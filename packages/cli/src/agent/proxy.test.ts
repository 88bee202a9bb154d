// Tests of the agent's API proxy in this process: a dev server, the proxy
// listener in front of it, and raw HTTP requests such as a hostile client sends.
import assert from 'node:assert/strict';
import type { IncomingMessage, Server } from 'node:http';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientConfig } from '../client.js';
import type { TestServer } from '../test-server.js';
import { CofferClient } from '../client.js';
import { startDevServer, testRootToken } from '../test-server.js';
import { AgentLogger } from './log.js';
import type { RunningProxy } from './proxy.js';
import { startProxy } from './proxy.js';

/** Sends raw bytes to `address` and returns everything the peer sends until it closes (send `Connection: close`) or `timeoutMs` passes. */
function rawExchange(address: string, bytes: string, timeoutMs = 10_000): Promise<string> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', reject);
    socket.write(bytes);
  });
}

describe('agent proxy', { timeout: 120_000 }, () => {
  let server: TestServer;
  let proxy: RunningProxy;
  let proxyAddress: string;
  /** A second local server that must never receive a proxied request. */
  let decoy: Server;
  let decoyAddress: string;
  const decoyRequests: { url: string; token: string | undefined }[] = [];
  let log = '';

  before(async () => {
    server = await startDevServer();
    decoy = createServer((incoming: IncomingMessage, outgoing) => {
      decoyRequests.push({ url: incoming.url ?? '', token: incoming.headers['x-vault-token'] as string | undefined });
      outgoing.writeHead(200, { 'content-type': 'application/json' });
      outgoing.end('{"data":{"decoy":true}}');
    });
    await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
    decoyAddress = `127.0.0.1:${(decoy.address() as AddressInfo).port}`;

    const clientConfig: ClientConfig = { address: server.address, token: '', skipVerify: false };
    const logger = new AgentLogger({ write: (chunk: string) => (log += chunk) }, 'debug');
    const listener = { address: '127.0.0.1:0', tlsDisable: true, requireRequestHeader: false };
    proxy = await startProxy(listener, clientConfig, { useAutoAuthToken: true, currentToken: () => testRootToken }, logger);
    proxyAddress = `http://${proxy.address}`;
  });

  after(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => decoy.close(() => resolve()));
    await server.close();
  });

  test('absolute-form target stays on server', async () => {
    const answer = await rawExchange(proxyAddress, `GET http://${decoyAddress}/v1/sys/health HTTP/1.1\r\nHost: ${decoyAddress}\r\nConnection: close\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(answer, /"initialized":true/);
    assert.deepEqual(decoyRequests, []);
  });

  test('double-slash path stays on server', async () => {
    const answer = await rawExchange(proxyAddress, `GET //${decoyAddress}/v1/sys/health HTTP/1.1\r\nHost: ${decoyAddress}\r\nConnection: close\r\n\r\n`);
    assert.doesNotMatch(answer, /decoy/);
    assert.deepEqual(decoyRequests, []);
  });

  test('asterisk target is rejected', async () => {
    const answer = await rawExchange(proxyAddress, 'OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(answer, /\{"errors":\["invalid request target \\"\*\\": expected a path such as \/v1\/sys\/health"\]\}/);
    assert.deepEqual(decoyRequests, []);
  });

  test('bearer token is not replaced', async () => {
    const root = new CofferClient({ address: server.address, token: testRootToken, skipVerify: false });
    const created = await root.write('auth/token/create', { policies: ['default'], no_parent: true });
    const ownToken = created!.auth!.client_token;

    const answer = await rawExchange(proxyAddress, `GET /v1/auth/token/lookup-self HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ownToken}\r\nConnection: close\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, '')) as { data: { policies: string[] } };
    assert.deepEqual(body.data.policies, ['default']);
  });

  test('client disconnect ends upstream stream', async () => {
    const monitor = server.server.core.options.logMonitor!;
    const before = monitor.size;
    const outgoing = request(`${proxyAddress}/v1/sys/monitor?log_level=debug`, { agent: false });
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      outgoing.on('response', resolve);
      outgoing.on('error', reject);
      outgoing.end();
    });
    assert.equal(response.statusCode, 200);
    assert.equal(monitor.size, before + 1);

    outgoing.destroy();
    const deadline = Date.now() + 10_000;
    while (monitor.size !== before && Date.now() < deadline) await sleep(50);
    assert.equal(monitor.size, before);
  });
});
