/**
 * PKI certificates issued under a role with `generate_lease`, through a real
 * dev server: the response carries a lease that ends with the certificate,
 * and revoking the lease puts the certificate on the CRL, which openssl reads.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const run = promisify(execFile);

const ROOT = 'root-pki-lease-token';

describe('pki certificate leases over HTTP', () => {
  let server: RunningServer;
  let directory: string;

  before(async () => {
    server = await startDevServer(ROOT);
    directory = await mkdtemp(join(tmpdir(), 'coffer-pki-lease-'));
    assert.equal((await api(server, 'POST', 'sys/mounts/pki', { token: ROOT, body: { type: 'pki', config: { max_lease_ttl: '87600h' } } })).status, 204);
    const root = await api(server, 'POST', 'pki/root/generate/internal', { token: ROOT, body: { common_name: 'Lease Test Root', ttl: '87600h', key_type: 'ec' } });
    assert.equal(root.status, 200);
    const role = { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', ttl: '2h', generate_lease: true };
    assert.equal((await api(server, 'POST', 'pki/roles/leased', { token: ROOT, body: role })).status, 200);
    assert.equal((await api(server, 'POST', 'pki/roles/plain', { token: ROOT, body: { ...role, generate_lease: false } })).status, 200);
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  /** Returns the serial numbers on the mount's CRL as openssl prints them, upper-case hex without separators. */
  async function revokedSerials(): Promise<string[]> {
    const crl = await api(server, 'GET', 'pki/cert/crl', { token: ROOT });
    const path = join(directory, 'crl.pem');
    await writeFile(path, crl.body.data.certificate as string);
    const { stdout } = await run('openssl', ['crl', '-in', path, '-noout', '-text']);
    return [...stdout.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((match) => match[1]);
  }

  const compact = (serial: string): string => serial.replaceAll(':', '').toUpperCase();

  test('issue returns a lease that ends with the certificate', async () => {
    const issued = await api(server, 'POST', 'pki/issue/leased', { token: ROOT, body: { common_name: 'a.example.com' } });

    assert.equal(issued.status, 200);
    assert.match(issued.body.lease_id, /^pki\/issue\/leased\/\S+$/);
    assert.equal(issued.body.renewable, false);
    const remaining = issued.body.data.expiration - Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(issued.body.lease_duration - remaining) <= 2, `lease ${issued.body.lease_duration}s against ${remaining}s of validity`);
    assert.ok(issued.body.lease_duration > 7000, `lease ${issued.body.lease_duration}s is near the role's 2h`);
    assert.ok(issued.body.lease_duration <= 7200, `lease ${issued.body.lease_duration}s is at most the role's 2h`);

    const renewed = await api(server, 'PUT', 'sys/leases/renew', { token: ROOT, body: { lease_id: issued.body.lease_id } });
    assert.equal(renewed.status, 400);
  });

  test('revoking the lease revokes the certificate', async () => {
    const issued = await api(server, 'POST', 'pki/issue/leased', { token: ROOT, body: { common_name: 'b.example.com' } });
    const serial = issued.body.data.serial_number as string;
    assert.ok(!(await revokedSerials()).includes(compact(serial)));

    const revoked = await api(server, 'PUT', 'sys/leases/revoke', { token: ROOT, body: { lease_id: issued.body.lease_id } });

    assert.equal(revoked.status, 204);
    assert.ok((await revokedSerials()).includes(compact(serial)), `serial ${serial} is on the CRL`);
    const cert = await api(server, 'GET', `pki/cert/${serial}`, { token: ROOT });
    assert.equal(typeof cert.body.data.revocation_time, 'number');
    assert.ok(cert.body.data.revocation_time > 0);
  });

  test('sign under a leased role returns a lease too', async () => {
    const key = join(directory, 'sign.key');
    const csr = join(directory, 'sign.csr');
    await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=c.example.com', '-keyout', key, '-out', csr]);

    const signed = await api(server, 'POST', 'pki/sign/leased', { token: ROOT, body: { csr: await readFile(csr, 'utf8'), common_name: 'c.example.com' } });

    assert.equal(signed.status, 200);
    assert.match(signed.body.lease_id, /^pki\/sign\/leased\/\S+$/);
  });

  test('lease capped at mount max warns', async () => {
    assert.equal((await api(server, 'POST', 'sys/mounts/pki-short', { token: ROOT, body: { type: 'pki', config: { max_lease_ttl: '87600h' } } })).status, 204);
    assert.equal((await api(server, 'POST', 'pki-short/root/generate/internal', { token: ROOT, body: { common_name: 'Short Root', ttl: '8760h', key_type: 'ec' } })).status, 200);
    const role = { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', max_ttl: '24h', generate_lease: true };
    assert.equal((await api(server, 'POST', 'pki-short/roles/leased', { token: ROOT, body: role })).status, 200);
    assert.equal((await api(server, 'POST', 'sys/mounts/pki-short/tune', { token: ROOT, body: { max_lease_ttl: '1h' } })).status, 204);

    const issued = await api(server, 'POST', 'pki-short/issue/leased', { token: ROOT, body: { common_name: 'f.example.com', ttl: '2h' } });

    assert.equal(issued.status, 200);
    assert.equal(issued.body.lease_duration, 3600);
    assert.ok(issued.body.data.expiration - Math.floor(Date.now() / 1000) > 7000, 'the certificate keeps its 2h');
    assert.equal(issued.body.warnings.length, 1);
    assert.match(issued.body.warnings[0], /^TTL of "(1h59m5\ds|2h0m0s)" exceeded the effective max_ttl of "1h0m0s"; TTL value is capped accordingly$/);
  });

  test('a role without generate_lease issues no lease', async () => {
    const issued = await api(server, 'POST', 'pki/issue/plain', { token: ROOT, body: { common_name: 'd.example.com' } });

    assert.equal(issued.status, 200);
    assert.equal(issued.body.lease_id, '');
    assert.equal(issued.body.lease_duration, 0);
  });

  test('no_store turns generate_lease off with a warning', async () => {
    const written = await api(server, 'POST', 'pki/roles/unstored', { token: ROOT, body: { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', no_store: true, generate_lease: true } });

    assert.equal(written.status, 200);
    assert.equal(written.body.data.generate_lease, false);
    assert.deepEqual(written.body.warnings, ['generate_lease is false because no_store is true: a certificate that is not stored cannot be revoked through a lease']);
    const issued = await api(server, 'POST', 'pki/issue/unstored', { token: ROOT, body: { common_name: 'e.example.com' } });
    assert.equal(issued.body.lease_id, '');
  });
});
