import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { makeTestCertificates, type KeyPair } from '@coffer/auth-cert/testing';
import { createThrowawayDatabase, runAdmin, type ThrowawayDatabase } from '@coffer/storage-postgresql/testing';
import { MAX_REQUEST_BYTES } from '../http/body.js';
import { loadMountTable, saveMountTable } from '../router/mount-table.js';
import { startServer, type RunningServer } from '../server.js';

const silentLog = { write: (): boolean => true };

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
  location: string | null;
}

async function call(server: RunningServer, method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${server.address}/v1/${path}`, {
    method,
    redirect: 'manual',
    headers: { ...(token !== undefined ? { 'X-Vault-Token': token } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>), location: response.headers.get('location') };
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 8_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
}

/** Sends headers that declare a body one byte over the limit, and returns the status and body of the response. */
function postOversized(server: RunningServer, path: string, token: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers = { 'X-Vault-Token': token, 'Content-Type': 'application/json', 'Content-Length': String(MAX_REQUEST_BYTES + 1) };
    const outgoing = httpRequest(`${server.address}/v1/${path}`, { method: 'POST', headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, text });
        outgoing.destroy();
      });
    });
    // An error after the response arrived, such as the cut-off body, changes nothing: the promise is settled.
    outgoing.on('error', (err) => reject(err));
    outgoing.write('{"data":');
  });
}

const isActive = async (server: RunningServer): Promise<boolean> => (await call(server, 'GET', 'sys/health')).status === 200;

describe('ha node', () => {
  let database: ThrowawayDatabase | undefined;
  const servers: RunningServer[] = [];
  let dir = '';
  after(async () => {
    for (const server of servers) await server.close();
    if (database !== undefined) await database.drop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  /** Starts a server on the shared lock table; `extra` is appended to its config. */
  async function startNode(name: string, suffix: string, extra = ''): Promise<RunningServer> {
    const configPath = join(dir, `${name}.hcl`);
    await writeFile(
      configPath,
      `storage "postgresql" {
  connection_url = "${database!.url}"
  table = "kv_${suffix}"
  ha_enabled = "true"
  ha_table = "locks_${suffix}"
  ha_lock_ttl = "2s"
}
listener "tcp" {
  address = "127.0.0.1:0"
  tls_disable = true
}
${extra}
`,
    );
    const server = await startServer({ configPaths: [configPath], logLevel: 'error', logDestination: silentLog, haStepDownPauseMs: 1_500 });
    servers.push(server);
    return server;
  }

  async function prepare(): Promise<void> {
    database ??= await createThrowawayDatabase();
    if (dir === '') dir = await mkdtemp(join(tmpdir(), 'coffer-ha-node-'));
  }

  test('take-over reads state fresh from storage', async () => {
    await prepare();
    const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
    const a = await startNode('a', suffix, 'disable_clustering = true');
    const b = await startNode('b', suffix);

    const init = await call(a, 'PUT', 'sys/init', undefined, { secret_shares: 1, secret_threshold: 1 });
    const key = (init.body!.keys_base64 as string[])[0];
    const root = init.body!.root_token as string;
    await call(a, 'PUT', 'sys/unseal', undefined, { key });
    await eventually('a is active', () => isActive(a));
    await call(b, 'PUT', 'sys/unseal', undefined, { key });
    assert.equal((await call(b, 'GET', 'sys/health')).status, 429);
    const sealOnStandby = await call(b, 'PUT', 'sys/seal', root);
    assert.equal(sealOnStandby.status, 400);
    assert.deepEqual(sealOnStandby.body, { errors: ['this node is a standby, and only the active node can be sealed; restart a standby to seal it'] });
    assert.equal((await call(a, 'GET', 'sys/health')).status, 200, 'the active node stays unsealed');

    // Fill a's caches: a policy, a token using it, and a KV v2 secret read through both.
    assert.equal((await call(a, 'POST', 'sys/mounts/secret', root, { type: 'kv', options: { version: '2' } })).status, 204);
    assert.equal((await call(a, 'PUT', 'sys/policies/acl/reader', root, { policy: 'path "secret/*" { capabilities = ["read"] }' })).status, 204);
    const created = await call(a, 'POST', 'auth/token/create', root, { policies: ['reader'] });
    const reader = (created.body!.auth as Record<string, string>).client_token;
    assert.equal((await call(a, 'PUT', 'secret/data/x', root, { data: { n: 1 } })).status, 200);
    assert.equal((await call(a, 'GET', 'secret/data/x', reader)).status, 200);
    const listed = await call(b, 'LIST', 'secret/metadata', root);
    assert.equal(listed.status, 200, 'a LIST forwarded by the standby');
    assert.deepEqual((listed.body!.data as Record<string, unknown>).keys, ['x']);

    // a steps down; b takes over and changes all three.
    assert.equal((await call(a, 'PUT', 'sys/step-down', root)).status, 204);
    await eventually('b is active', () => isActive(b));
    assert.equal((await call(a, 'GET', 'sys/health')).status, 429);
    const redirected = await call(a, 'GET', 'secret/data/x', root);
    assert.equal(redirected.status, 307, 'disable_clustering makes a standby redirect');
    assert.equal(redirected.location, `${b.address}/v1/secret/data/x`);
    assert.equal((await call(b, 'PUT', 'secret/data/x', root, { data: { n: 2 } })).status, 200);
    assert.equal((await call(b, 'PUT', 'sys/policies/acl/reader', root, { policy: 'path "other/*" { capabilities = ["read"] }' })).status, 204);
    const other = await call(b, 'POST', 'auth/token/create', root, { policies: ['reader'] });
    const revoked = (other.body!.auth as Record<string, string>).client_token;
    assert.equal((await call(b, 'PUT', 'auth/token/revoke', root, { token: revoked })).status, 204);

    // b steps down; a takes over again and must see b's writes, not its old caches.
    assert.equal((await call(b, 'PUT', 'sys/step-down', root)).status, 204);
    await eventually('a is active again', () => isActive(a));
    const read = await call(a, 'GET', 'secret/data/x', root);
    assert.deepEqual((read.body!.data as Record<string, unknown>).data, { n: 2 });
    const denied = await call(a, 'GET', 'secret/data/x', reader);
    assert.equal(denied.status, 403, 'the policy b rewrote applies on a');
    assert.equal((await call(a, 'GET', 'auth/token/lookup-self', revoked)).status, 403, 'the token b revoked is gone on a');

    // A lock row taken behind a's back makes it step down at its next renewal.
    await runAdmin(database!.url, `UPDATE locks_${suffix} SET ha_identity = 'intruder'`);
    await eventually('a steps down after losing the lock', async () => (await call(a, 'GET', 'sys/health')).status === 429, 3_000);
    const leader = await call(a, 'GET', 'sys/leader');
    assert.equal(leader.body?.is_self, false);
  });

  /** Starts an active node and a standby on a lock table of their own, with KV v2 at secret/. */
  /** Starts an active node and a standby on one lock table; `standbyExtra` is appended to the standby's config. */
  async function startPair(name: string, standbyExtra = ''): Promise<{ active: RunningServer; standby: RunningServer; root: string }> {
    await prepare();
    const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
    const active = await startNode(`${name}-a`, suffix);
    const standby = await startNode(`${name}-b`, suffix, standbyExtra);
    const init = await call(active, 'PUT', 'sys/init', undefined, { secret_shares: 1, secret_threshold: 1 });
    const key = (init.body!.keys_base64 as string[])[0];
    const root = init.body!.root_token as string;
    await call(active, 'PUT', 'sys/unseal', undefined, { key });
    await eventually('the first node is active', () => isActive(active));
    await call(standby, 'PUT', 'sys/unseal', undefined, { key });
    assert.equal((await call(standby, 'GET', 'sys/health')).status, 429);
    assert.equal((await call(active, 'POST', 'sys/mounts/secret', root, { type: 'kv', options: { version: '2' } })).status, 204);
    return { active, standby, root };
  }

  test('standby seals after forced restore', async () => {
    const { active, standby, root } = await startPair('restore');
    const otherServer = await startNode('restore-other', `${process.pid}_${randomBytes(4).toString('hex')}`);
    const init = await call(otherServer, 'PUT', 'sys/init', undefined, { secret_shares: 1, secret_threshold: 1 });
    const otherKey = (init.body!.keys_base64 as string[])[0];
    const otherRoot = init.body!.root_token as string;
    await call(otherServer, 'PUT', 'sys/unseal', undefined, { key: otherKey });
    await eventually('the other cluster is active', () => isActive(otherServer));
    assert.equal((await call(otherServer, 'POST', 'sys/mounts/other', otherRoot, { type: 'kv' })).status, 204);
    assert.equal((await call(otherServer, 'PUT', 'other/x', otherRoot, { n: 'from the other cluster' })).status, 204);
    const saved = await fetch(`${otherServer.address}/v1/sys/storage/snapshot`, { headers: { 'X-Vault-Token': otherRoot } });
    assert.equal(saved.status, 200);
    const snapshot = Buffer.from(await saved.arrayBuffer()).toString('base64');

    assert.equal((await call(active, 'POST', 'sys/storage/snapshot-force', root, { snapshot })).status, 204);

    // The standby's root key cannot open the restored keyring, so the standby must seal instead of waiting as a standby forever.
    await eventually('the standby seals', async () => (await call(standby, 'GET', 'sys/health')).status === 503);
    assert.equal((await call(standby, 'GET', 'sys/seal-status')).body?.sealed, true);
    await call(standby, 'PUT', 'sys/unseal', undefined, { key: otherKey });
    await eventually('the standby takes over with the snapshot keys', () => isActive(standby));
    const read = await call(standby, 'GET', 'other/x', otherRoot);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body!.data, { n: 'from the other cluster' });
  });

  test('standby rejects oversized body with 413', async () => {
    const { active: a, standby: b, root } = await startPair('big');

    const answer = await postOversized(b, 'secret/data/big', root);
    assert.equal(answer.status, 413, 'the standby rejects the body itself and does not redirect');
    assert.deepEqual(JSON.parse(answer.text), { errors: [`request body is larger than the limit of ${MAX_REQUEST_BYTES} bytes`] });
    assert.equal((await call(a, 'GET', 'secret/data/big', root)).status, 404, 'nothing was written');
    const forwarded = await call(b, 'POST', 'secret/data/small', root, { data: { n: 1 } });
    assert.equal(forwarded.status, 200, 'the standby still forwards a body within the limit');
  });

  test('standby forwards absolute-form target to leader', async () => {
    const { active, standby, root } = await startPair('absolute');
    assert.equal((await call(active, 'PUT', 'secret/data/x', root, { data: { n: 1 } })).status, 200);

    // An absolute-form target names another host; the standby must still forward to the active node's api_addr.
    const port = new URL(standby.address).port;
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const options = { host: '127.0.0.1', port, method: 'GET', path: 'http://elsewhere.invalid/v1/secret/data/x', headers: { 'X-Vault-Token': root } };
      const outgoing = httpRequest(options, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      outgoing.on('error', reject);
      outgoing.end();
    });

    assert.equal(answer.status, 200);
    assert.deepEqual((JSON.parse(answer.text) as { data: { data: unknown } }).data.data, { n: 1 });
  });

  test('bound CIDRs see the client behind a standby', async () => {
    const { active, standby, root } = await startPair('cidr');
    assert.equal((await call(active, 'POST', 'sys/auth/userpass', root, { type: 'userpass' })).status, 204);
    const user = { password: 'pw', token_bound_cidrs: '127.0.0.1/32' };
    assert.equal((await call(active, 'POST', 'auth/userpass/users/frank', root, user)).status, 204);

    /** Logs in as frank through `server` from the loopback address `from`, with extra headers. */
    const login = (server: RunningServer, from: string, extra: Record<string, string> = {}): Promise<number> =>
      new Promise((resolve, reject) => {
        const url = new URL(`${server.address}/v1/auth/userpass/login/frank`);
        const body = JSON.stringify({ password: 'pw' });
        const headers = { 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...extra };
        const options = { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, headers };
        const outgoing = httpRequest(options, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
        outgoing.on('error', reject);
        outgoing.end(body);
      });

    assert.equal(await login(standby, '127.0.0.1'), 200, 'a client inside the CIDR logs in through the standby');
    assert.equal(await login(active, '127.0.0.2'), 403, 'a client outside the CIDR is denied by the active node');
    assert.equal(await login(standby, '127.0.0.2'), 403, 'and through the standby, which connects from 127.0.0.1');
    const spoofed = { 'X-Coffer-Forwarded-For': '127.0.0.1', 'X-Coffer-Forwarding-Key': 'guessed' };
    assert.equal(await login(active, '127.0.0.2', spoofed), 403, 'a client cannot claim another address');
    assert.equal(await login(standby, '127.0.0.2', spoofed), 403, 'nor pass one through the standby');
  });

  test('cert login through a standby', async () => {
    const certs = await makeTestCertificates();
    try {
      const tlsListener = `listener "tcp" {
  address = "127.0.0.1:0"
  tls_cert_file = "${certs.server.certPath}"
  tls_key_file = "${certs.server.keyPath}"
}`;
      const { active, standby, root } = await startPair('cert', tlsListener);
      assert.equal((await call(active, 'POST', 'sys/auth/cert', root, { type: 'cert' })).status, 204);
      assert.equal((await call(active, 'POST', 'auth/cert/certs/web', root, { certificate: certs.ca.cert, token_policies: 'web' })).status, 204);
      const standbyTls = standby.addresses[1];

      /** Logs in through `address` over TLS, presenting `client` when given, with extra headers. */
      const login = (address: string, client: KeyPair | undefined, extra: Record<string, string> = {}): Promise<Answer> =>
        new Promise((resolve, reject) => {
          const tls = { ca: certs.ca.cert, ...(client !== undefined ? { cert: client.cert, key: client.key } : {}) };
          const headers = { 'Content-Type': 'application/json', ...extra };
          const outgoing = httpsRequest(`${address}/v1/auth/cert/login`, { method: 'POST', headers, agent: false, ...tls }, (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>, location: null }));
          });
          outgoing.on('error', reject);
          outgoing.end(JSON.stringify({ name: 'web' }));
        });

      const through = await login(standbyTls, certs.client);
      assert.equal(through.status, 200, JSON.stringify(through.body));
      const auth = through.body!.auth as { policies: string[]; metadata: Record<string, string> };
      assert.deepEqual(auth.policies, ['default', 'web']);
      assert.equal(auth.metadata.common_name, 'client.example.com');
      assert.equal(auth.metadata.cert_name, 'web');

      const withoutCert = await login(standbyTls, undefined);
      assert.equal(withoutCert.status, 400);
      assert.deepEqual(withoutCert.body, { errors: ['client certificate must be supplied'] });

      // A client that names a chain itself gets nothing from it, through the standby or at the active node.
      const claimed = { 'X-Coffer-Forwarded-Client-Certs': new X509Certificate(certs.client.cert).raw.toString('base64'), 'X-Coffer-Forwarding-Key': 'guessed' };
      const spoofed = await login(standbyTls, undefined, claimed);
      assert.equal(spoofed.status, 400);
      assert.deepEqual(spoofed.body, { errors: ['client certificate must be supplied'] });
      const direct = await fetch(`${active.address}/v1/auth/cert/login`, { method: 'POST', headers: claimed, body: JSON.stringify({ name: 'web' }) });
      assert.equal(direct.status, 400);
      assert.deepEqual(await direct.json(), { errors: ['tls connection required'] });
    } finally {
      await certs.close();
    }
  });

  test('forwarding key stays out of audit', async () => {
    const { active, standby, root } = await startPair('audit');
    const auditLog = join(dir, `audit-${randomBytes(4).toString('hex')}.log`);
    assert.equal((await call(active, 'PUT', 'sys/audit/file', root, { type: 'file', options: { file_path: auditLog } })).status, 204);
    for (const header of ['X-Coffer-Forwarding-Key', 'X-Coffer-Forwarded-For', 'X-Request-Tag']) {
      assert.equal((await call(active, 'PUT', `sys/config/auditing/request-headers/${header}`, root, { hmac: false })).status, 204);
    }

    const read = await fetch(`${standby.address}/v1/sys/mounts`, { headers: { 'X-Vault-Token': root, 'X-Request-Tag': 'through-standby' } });
    assert.equal(read.status, 200);

    const entries = (await readFile(auditLog, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; request: { headers?: Record<string, string[]> } });
    const forwarded = entries.filter((entry) => entry.request.headers?.['x-request-tag']?.[0] === 'through-standby');
    assert.deepEqual(
      forwarded.map((entry) => entry.type),
      ['request', 'response'],
    );
    for (const entry of forwarded) {
      assert.deepEqual(Object.keys(entry.request.headers ?? {}).sort(), ['x-coffer-forwarded-for', 'x-request-tag']);
    }
  });

  test('cors through a standby', async () => {
    const { active, standby, root } = await startPair('cors');
    const origin = 'https://app.example.com';
    assert.equal((await call(active, 'PUT', 'sys/config/cors', root, { allowed_origins: origin })).status, 204);
    assert.equal((await call(active, 'POST', 'secret/data/shared', root, { data: { n: 1 } })).status, 200);

    const preflight = await fetch(`${standby.address}/v1/secret/data/shared`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'X-Vault-Token' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'DELETE,GET,OPTIONS,POST,PUT,LIST');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Vault-Token/);

    const read = await fetch(`${standby.address}/v1/secret/data/shared`, { headers: { Origin: origin, 'X-Vault-Token': root } });
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('access-control-allow-origin'), origin);
    assert.equal(read.headers.get('vary'), 'Origin');

    const other = await fetch(`${standby.address}/v1/secret/data/shared`, { headers: { Origin: 'https://evil.example.com', 'X-Vault-Token': root } });
    assert.equal(other.status, 403);
    assert.deepEqual(await other.json(), { errors: ['origin not allowed'] });

    // A page served by the standby itself, such as the web UI, is not cross-origin.
    const own = await fetch(`${standby.address}/v1/secret/data/shared`, { headers: { Origin: standby.address, 'X-Vault-Token': root } });
    assert.equal(own.status, 200);
    assert.equal(own.headers.get('access-control-allow-origin'), null);
  });

  test('take-over skips a failed mount', async () => {
    const { active, standby, root } = await startPair('failed-mount');
    assert.equal((await call(active, 'POST', 'sys/mounts/odd', root, { type: 'kv', options: { version: '1' } })).status, 204);
    assert.equal((await call(active, 'PUT', 'secret/data/x', root, { data: { n: 1 } })).status, 200);
    // A KV version that no release writes makes the odd/ backend fail to start on the next node.
    const table = (await loadMountTable(active.core.barrier, 'core/mounts'))!;
    const broken = table.map((entry) => (entry.path === 'odd/' ? { ...entry, options: { version: '9' } } : entry));
    await saveMountTable(active.core.barrier, 'core/mounts', broken);

    assert.equal((await call(active, 'PUT', 'sys/step-down', root)).status, 204);

    await eventually('the standby takes over', () => isActive(standby));
    const read = await call(standby, 'GET', 'secret/data/x', root);
    assert.deepEqual((read.body!.data as Record<string, unknown>).data, { n: 1 });
    const failed = await call(standby, 'GET', 'odd/app', root);
    assert.equal(failed.status, 404);
    assert.deepEqual(failed.body!.errors, [
      'mount "odd/" failed to start at unseal: invalid mount option "version": "9" is not a KV version: use "1" or "2"; fix the plugin or its data, then reload the mount with sys/plugins/reload/backend',
    ]);
  });
});
