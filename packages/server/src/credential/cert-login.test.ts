import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeTestCertificates, type KeyPair, type TestCertificates } from '@coffer/auth-cert/testing';
import { startServer, type RunningServer } from '../server.js';
import { api } from '../testing/api-client.js';

const run = promisify(execFile);

const NO_MATCH = 'failed to match all constraints for this login certificate';

const WEB_POLICY = `
path "secret/data/web/*" {
  capabilities = ["read"]
}
`;

interface TlsAnswer {
  status: number;
  body: any;
}

describe('cert login over TLS', () => {
  let certs: TestCertificates;
  let server: RunningServer;
  let tlsAddress: string;
  let plainAddress: string;
  let root: string;

  /** Sends a JSON request to the TLS listener, presenting `client` when given. */
  function overTls(method: string, path: string, options: { client?: KeyPair; token?: string; body?: unknown } = {}): Promise<TlsAnswer> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers['X-Vault-Token'] = options.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const tls = { ca: certs.ca.cert, ...(options.client !== undefined ? { cert: options.client.cert, key: options.client.key } : {}) };
    return new Promise((resolve, reject) => {
      // agent: false opens a new connection without TLS session resumption for each request.
      const outgoing = request(`${tlsAddress}/v1/${path}`, { method, headers, agent: false, ...tls }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, body: text === '' ? null : JSON.parse(text) });
        });
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  const login = (client: KeyPair | undefined, body: Record<string, unknown> = {}) => overTls('POST', 'auth/cert/login', { ...(client !== undefined ? { client } : {}), body });

  before(async () => {
    certs = await makeTestCertificates();
    const configPath = join(certs.directory, 'server.hcl');
    await writeFile(
      configPath,
      `storage "inmem" {}
listener "tcp" {
  address = "127.0.0.1:0"
  tls_cert_file = "${certs.server.certPath}"
  tls_key_file = "${certs.server.keyPath}"
}
listener "tcp" {
  address = "127.0.0.1:0"
  tls_disable = true
}
`,
    );
    server = await startServer({ configPaths: [configPath], logDestination: { write: () => true } });
    [tlsAddress, plainAddress] = server.addresses;
    const init = await server.core.initialize(1, 1);
    await server.core.submitUnsealKey(init.keys_base64[0]);
    root = init.root_token;

    const plain = { address: plainAddress };
    const setup: Array<[string, string, unknown]> = [
      ['POST', 'sys/auth/cert', { type: 'cert' }],
      ['POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } }],
      ['PUT', 'sys/policies/acl/web-read', { policy: WEB_POLICY }],
      ['POST', 'auth/cert/certs/web', { certificate: certs.ca.cert, token_policies: 'web-read', token_ttl: '20m', token_max_ttl: '1h' }],
      ['POST', 'auth/cert/certs/admins-only', { certificate: certs.ca.cert, allowed_common_names: 'admin.example.com' }],
      ['POST', 'auth/cert/certs/org-only', { certificate: certs.ca.cert, allowed_dns_sans: '*.example.org' }],
      ['POST', 'auth/cert/certs/tagged', { certificate: certs.ca.cert, required_extensions: '1.2.3.4.5:prod-*' }],
      ['POST', 'auth/cert/crls/ca', { crl: certs.crl }],
    ];
    for (const [method, path, body] of setup) {
      const response = await api(plain, method, path, { token: root, body });
      assert.equal(response.status, 204, `${method} ${path}: ${JSON.stringify(response.body)}`);
    }
    await api(plain, 'POST', 'secret/data/web/key', { token: root, body: { data: { key: 'web-key' } } });
    await api(plain, 'POST', 'secret/data/db/key', { token: root, body: { data: { key: 'db-key' } } });
  });
  after(async () => {
    await server?.close();
    await certs?.close();
  });

  test('login returns a token that reads its secrets', async () => {
    const response = await login(certs.client, { name: 'web' });

    assert.equal(response.status, 200, JSON.stringify(response.body));
    const auth = response.body.auth;
    assert.deepEqual(auth.policies, ['default', 'web-read']);
    assert.equal(auth.lease_duration, 1200);
    assert.equal(auth.renewable, true);
    assert.equal(auth.metadata.cert_name, 'web');
    assert.equal(auth.metadata.common_name, 'client.example.com');
    assert.equal(auth.metadata.serial_number, '4096');
    const token = auth.client_token as string;

    const granted = await api({ address: plainAddress }, 'GET', 'secret/data/web/key', { token });
    const denied = await api({ address: plainAddress }, 'GET', 'secret/data/db/key', { token });
    assert.equal(granted.status, 200);
    assert.deepEqual(granted.body.data.data, { key: 'web-key' });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, { errors: ['permission denied'] });
  });

  test('login creates an alias named by the common name', async () => {
    const token = (await login(certs.client, { name: 'web' })).body.auth.client_token;
    const self = await overTls('GET', 'auth/token/lookup-self', { token });
    const entity = await overTls('GET', `identity/entity/id/${self.body.data.entity_id}`, { token: root });

    assert.equal(self.body.data.display_name, 'cert-web');
    assert.deepEqual(
      entity.body.data.aliases.map((alias: { name: string; mount_type: string }) => [alias.name, alias.mount_type]),
      [['client.example.com', 'cert']],
    );
  });

  const rejections: Array<[string, () => KeyPair | undefined, Record<string, unknown>, string]> = [
    ['no client certificate', () => undefined, {}, 'client certificate must be supplied'],
    ['unknown CA', () => certs.unknownClient, {}, NO_MATCH],
    ['revoked certificate', () => certs.revoked, {}, NO_MATCH],
    ['CN not allowed', () => certs.client, { name: 'admins-only' }, NO_MATCH],
    ['DNS SAN not allowed', () => certs.client, { name: 'org-only' }, NO_MATCH],
    ['missing required extension', () => certs.other, { name: 'tagged' }, NO_MATCH],
    ['unknown entry name', () => certs.client, { name: 'nope' }, NO_MATCH],
  ];
  for (const [name, client, body, message] of rejections) {
    test(`rejects ${name}`, async () => {
      const response = await login(client(), body);

      assert.equal(response.status, 400);
      assert.deepEqual(response.body, { errors: [message] });
    });
  }

  test('rejects expired certificate', async () => {
    const response = await login(certs.expired);

    assert.equal(response.status, 400);
    assert.equal(response.body.errors.length, 1);
    assert.match(response.body.errors[0], /^failed to verify client's certificate: certificate has expired or is not yet valid: current time \S+ is after 2020-01-02T00:00:00\.000Z$/);
  });

  test('rejects login over plain HTTP', async () => {
    const response = await api({ address: plainAddress }, 'POST', 'auth/cert/login', { body: { name: 'web' } });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['tls connection required'] });
  });

  test('renewal checks the presented certificate', async () => {
    const token = (await login(certs.client, { name: 'web' })).body.auth.client_token;

    const same = await overTls('PUT', 'auth/token/renew-self', { client: certs.client, token, body: { increment: '30m' } });
    const other = await overTls('PUT', 'auth/token/renew-self', { client: certs.other, token, body: {} });
    const none = await overTls('PUT', 'auth/token/renew-self', { token, body: {} });
    const plain = await api({ address: plainAddress }, 'PUT', 'auth/token/renew-self', { token, body: {} });

    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.equal(same.body.auth.lease_duration, 1800);
    assert.equal(other.status, 400);
    assert.deepEqual(other.body, { errors: ['client identity during renewal not matching client identity used during login'] });
    assert.deepEqual(none.body, { errors: ['client certificate must be supplied'] });
    assert.deepEqual(plain.body, { errors: ['tls connection required'] });
  });

  test('hvac logs in with a client certificate', async (t) => {
    const probe = await run('/usr/bin/python3', ['-c', 'import hvac']).then(
      () => undefined,
      (err: Error) => err.message,
    );
    if (probe !== undefined) {
      t.skip(`python3-hvac is not installed: ${probe}`);
      return;
    }
    const script = [
      'import json, sys, hvac',
      'client = hvac.Client(url=sys.argv[1], verify=sys.argv[2], cert=(sys.argv[3], sys.argv[4]))',
      'response = client.auth.cert.login(name="web", cert_pem=sys.argv[3], key_pem=sys.argv[4])',
      'secret = client.secrets.kv.v2.read_secret_version(path="web/key")',
      'print(json.dumps({"policies": response["auth"]["policies"], "key": secret["data"]["data"]["key"]}))',
    ].join('\n');

    const { stdout } = await run('/usr/bin/python3', ['-c', script, tlsAddress, certs.ca.certPath, certs.client.certPath, certs.client.keyPath]);

    assert.deepEqual(JSON.parse(stdout), { policies: ['default', 'web-read'], key: 'web-key' });
  });
});
