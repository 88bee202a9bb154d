import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkCaPem, requestJson } from './http-client.js';
import { assertRejectedUnchanged, closeServer, createHarness, dataOf, listen, makeKey } from './test-support.js';

describe('provider requests', () => {
  let directory: string;
  let certPem: string;
  let httpsUrl: string;
  let httpUrl: string;
  const servers: { close(): Promise<void> }[] = [];

  before(async () => {
    // A self-signed certificate for 127.0.0.1, made with the system's openssl.
    directory = await mkdtemp(join(tmpdir(), 'coffer-jwt-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(directory, 'key.pem'), '-out', join(directory, 'cert.pem'),
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    certPem = await readFile(join(directory, 'cert.pem'), 'utf8');
    const key = await makeKey('ES256');

    const https = createHttpsServer({ key: await readFile(join(directory, 'key.pem')), cert: certPem }, (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [key.publicJwk] }));
    });
    httpsUrl = `https://127.0.0.1:${(await listen(https)).port}/keys`;
    servers.push({ close: () => closeServer(https) });

    const http = createServer((request, response) => {
      if (request.url === '/silent') return;
      if (request.url === '/trickle') {
        // Headers at once, then one byte of body every 50 ms, so the socket is never idle.
        response.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => response.write(' '), 50);
        response.on('close', () => clearInterval(timer));
        return;
      }
      if (request.url === '/redirect') {
        response.writeHead(302, { location: 'http://192.0.2.1/keys' });
        response.end();
        return;
      }
      if (request.url === '/large') {
        response.end(JSON.stringify({ padding: 'x'.repeat(1024 * 1024) }));
        return;
      }
      response.end('<html>not json</html>');
    });
    httpUrl = `http://127.0.0.1:${(await listen(http)).port}`;
    servers.push({ close: () => closeServer(http) });
  });
  after(async () => {
    for (const server of servers) await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('https with the given CA', async () => {
    const response = await requestJson(httpsUrl, { caPem: certPem });

    assert.equal(response.status, 200);
    assert.equal((response.body as { keys: unknown[] }).keys.length, 1);
  });

  test('https without the CA fails', async () => {
    await assert.rejects(requestJson(httpsUrl), { message: 'self-signed certificate' });
  });

  test('bad bodies and silence are rejected', async () => {
    await assert.rejects(requestJson(`${httpUrl}/html`), { message: 'response with status 200 is not JSON' });
    await assert.rejects(requestJson(`${httpUrl}/large`), { message: 'response is larger than 1048576 bytes' });
    await assert.rejects(requestJson(`${httpUrl}/silent`, { timeoutMs: 100 }), { message: 'request timed out after 100 ms' });
  });

  test('trickling body times out', async () => {
    const started = Date.now();

    await assert.rejects(requestJson(`${httpUrl}/trickle`, { timeoutMs: 300 }), { message: 'request timed out after 300 ms' });

    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  test('redirect is not followed', async () => {
    await assert.rejects(
      requestJson(`${httpUrl}/redirect`),
      { message: 'response with status 302 is not JSON' },
    );
  });

  test('jwks_ca_pem is used at config write', async () => {
    const harness = await createHarness();

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config', { jwks_url: httpsUrl }),
      400,
      `error checking jwks URL "${httpsUrl}": self-signed certificate`,
    );
    await harness.send('update', 'config', { jwks_url: httpsUrl, jwks_ca_pem: certPem });

    assert.equal(dataOf(await harness.send('read', 'config')).jwks_ca_pem, certPem);
  });

  test('CA PEM must hold certificates', () => {
    assert.doesNotThrow(() => checkCaPem(certPem + certPem));
    assert.throws(() => checkCaPem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), /^Error: certificate 1 does not parse: /);
  });
});
