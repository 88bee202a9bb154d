/**
 * A real TLS handshake: a node:https server on 127.0.0.1 serves a
 * certificate the engine issued. Clients that trust the engine's CA and
 * check the host name connect. Clients that trust another CA or expect
 * another host name are rejected.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, get, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createHarness, dataOf, generateRoot } from './test-support.js';

/** Sends GET / and returns the body, or the error code of the failed handshake. */
function fetchOnce(port: number, ca: string, servername: string): Promise<{ body?: string; code?: string }> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/', ca, servername, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ body }));
    });
    request.on('error', (err: NodeJS.ErrnoException) => resolve({ code: err.code ?? err.message }));
  });
}

describe('tls handshake', () => {
  let server: Server;
  let port: number;
  let trustedCa: string;
  let unrelatedCa: string;

  before(async () => {
    const harness = createHarness();
    trustedCa = String((await generateRoot(harness)).certificate);
    await harness.send('create', 'roles/local', { allow_localhost: true, key_type: 'ec', server_flag: true });
    const issued = dataOf(await harness.send('update', 'issue/local', { common_name: 'localhost', ip_sans: '127.0.0.1', ttl: '10m' }));
    unrelatedCa = String((await generateRoot(createHarness(), { common_name: 'Unrelated Root' })).certificate);

    server = createServer({ key: String(issued.private_key), cert: `${String(issued.certificate)}\n` }, (_request, response) => {
      response.end('hello over tls');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.close();
    await once(server, 'close');
  });

  test('client trusting the ca connects', async () => {
    const result = await fetchOnce(port, trustedCa, 'localhost');

    assert.deepEqual(result, { body: 'hello over tls' });
  });

  test('client trusting another ca is refused', async () => {
    const result = await fetchOnce(port, unrelatedCa, 'localhost');

    assert.deepEqual(result, { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  test('other host name is refused', async () => {
    const result = await fetchOnce(port, trustedCa, 'other.example.com');

    assert.deepEqual(result, { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
});
