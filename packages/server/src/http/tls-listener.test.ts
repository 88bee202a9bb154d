import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startServer, type RunningServer } from '../server.js';

const run = promisify(execFile);

/** Makes a CA, and a server and a client certificate signed by it, with openssl. */
async function makeCertificates(directory: string): Promise<void> {
  const at = (name: string) => join(directory, name);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', at('ca.key'), '-out', at('ca.pem')]);
  await writeFile(at('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const name of ['server', 'client']) {
    await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`)]);
    await run('openssl', ['x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '1', '-out', at(`${name}.pem`), ...(name === 'server' ? ['-extfile', at('server.ext')] : [])]);
  }
}

/** GETs sys/health over TLS, optionally with a client certificate; resolves to the status and whether a peer cert was seen. */
function healthOverTls(server: RunningServer, ca: Buffer, client?: { cert: Buffer; key: Buffer }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.address}/v1/sys/health`, { ca, ...(client ?? {}) }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS listener', () => {
  let directory: string;
  let server: RunningServer;
  let ca: Buffer;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'coffer-tls-test-'));
    await makeCertificates(directory);
    ca = await readFile(join(directory, 'ca.pem'));
    const config = join(directory, 'config.hcl');
    await writeFile(
      config,
      `storage "inmem" {}
listener "tcp" {
  address = "127.0.0.1:0"
  tls_cert_file = "${join(directory, 'server.pem')}"
  tls_key_file = "${join(directory, 'server.key')}"
  tls_client_ca_file = "${join(directory, 'ca.pem')}"
}
`,
    );
    server = await startServer({ configPaths: [config], logDestination: { write: () => true } });
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('serves https on the configured certificate', () => {
    assert.match(server.address, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test('accepts a client without a certificate', async () => {
    assert.equal(await healthOverTls(server, ca), 501);
  });

  test('accepts a client with a certificate from the CA', async () => {
    const client = { cert: await readFile(join(directory, 'client.pem')), key: await readFile(join(directory, 'client.key')) };
    assert.equal(await healthOverTls(server, ca, client), 501);
  });
});
