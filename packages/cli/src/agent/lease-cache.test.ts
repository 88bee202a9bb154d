// Tests of the agent's response cache in this process: a dev server with a
// file audit device, a database secrets engine on the local PostgreSQL, and
// proxy listeners with a cache in front of the server. Each check counts
// the requests the server received in its audit log, so a cache hit is
// proven by the server, not by the agent's own headers.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientConfig } from '../client.js';
import { CofferClient } from '../client.js';
import { makeTempDir } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer, testRootToken } from '../test-server.js';
import { LeaseCache } from './lease-cache.js';
import { AgentLogger } from './log.js';
import type { RunningProxy } from './proxy.js';
import { startProxy } from './proxy.js';

/** A response through the proxy, with the body as text and, when it is JSON, parsed. */
interface ProxyResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** Sends one request to `address` with an optional token and JSON body. */
function send(address: string, method: string, path: string, options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<ProxyResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['x-vault-token'] = options.token;
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const outgoing = request(`${address}${path}`, { method, headers, agent: false }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => {
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, text, json });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

describe('agent cache', { timeout: 300_000 }, () => {
  let server: TestServer;
  let root: CofferClient;
  let folder: { path: string; remove(): Promise<void> };
  let auditPath: string;
  let cache: LeaseCache;
  let proxy: RunningProxy;
  let address: string;
  let log = '';
  const proxies: RunningProxy[] = [];

  /** Returns how many requests for `path` the server's audit log recorded. */
  async function serverRequests(path: string): Promise<number> {
    const lines = (await readFile(auditPath, 'utf8')).split('\n').filter((line) => line !== '');
    return lines.map((line) => JSON.parse(line) as { type: string; request: { path: string } }).filter((entry) => entry.type === 'request' && entry.request.path === path).length;
  }

  /** Starts another proxy listener on a free port with its own cache. */
  async function startCachedProxy(ownCache: LeaseCache, useAutoAuthToken: boolean, token?: string): Promise<string> {
    const clientConfig: ClientConfig = { address: server.address, token: '', skipVerify: false };
    const listener = { address: '127.0.0.1:0', tlsDisable: true, requireRequestHeader: false };
    const logger = new AgentLogger({ write: (chunk: string) => (log += chunk) }, 'debug');
    const started = await startProxy(listener, clientConfig, { useAutoAuthToken, currentToken: () => token, cache: ownCache }, logger);
    proxies.push(started);
    return `http://${started.address}`;
  }

  /** Creates a userpass user and returns a login request body for it. */
  async function user(name: string, settings: Record<string, unknown> = {}): Promise<{ password: string }> {
    await root.write(`auth/userpass/users/${name}`, { password: `${name}-password`, token_policies: 'app', ...settings });
    return { password: `${name}-password` };
  }

  /** Logs `name` in through `through` and returns the response. */
  function login(through: string, name: string): Promise<ProxyResponse> {
    return send(through, 'POST', `/v1/auth/userpass/login/${name}`, { body: { password: `${name}-password` } });
  }

  before(async () => {
    server = await startDevServer();
    root = new CofferClient({ address: server.address, token: testRootToken, skipVerify: false });
    folder = await makeTempDir('coffer-agent-cache-');
    auditPath = join(folder.path, 'audit.log');
    await root.write('sys/audit/file', { type: 'file', options: { file_path: auditPath } });

    await root.write('sys/auth/userpass', { type: 'userpass' });
    await root.write('sys/policies/acl/app', {
      policy: [
        'path "database/creds/*" { capabilities = ["read"] }',
        'path "kv/*" { capabilities = ["read"] }',
        'path "sys/leases/renew" { capabilities = ["update"] }',
        'path "sys/leases/revoke" { capabilities = ["update"] }',
        'path "auth/token/create" { capabilities = ["update"] }',
      ].join('\n'),
    });
    await root.write('sys/mounts/kv', { type: 'kv' });
    await root.write('kv/app', { password: 'kv-secret', ttl: '1m' });

    await root.write('sys/mounts/database', { type: 'database' });
    await root.write('database/config/pg', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:5432/postgres?sslmode=disable',
      username: 'postgres',
      password: 'unused-with-trust-auth',
      allowed_roles: '*',
    });
    const creation = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
    await root.write('database/roles/app', { db_name: 'pg', creation_statements: creation, default_ttl: '1h', max_ttl: '2h' });
    await root.write('database/roles/short', { db_name: 'pg', creation_statements: creation, default_ttl: '4s', max_ttl: '1m' });
    await root.write('database/roles/capped', { db_name: 'pg', creation_statements: creation, default_ttl: '2s', max_ttl: '2s' });
    await root.write('database/roles/slow', { db_name: 'pg', creation_statements: `SELECT pg_sleep(1); ${creation}`, default_ttl: '1h', max_ttl: '2h' });

    cache = new LeaseCache(new AgentLogger({ write: (chunk: string) => (log += chunk) }, 'debug').named('cache'));
    address = await startCachedProxy(cache, false);
  });

  after(async () => {
    await Promise.all(proxies.map((started) => started.close()));
    cache.close();
    // Revoking the leases drops the PostgreSQL roles the tests created.
    await root.write('sys/leases/revoke-prefix/database/', {});
    await server.close();
    await folder.remove();
  });

  test('second login is served from cache', async () => {
    await user('alice');
    const first = await login(address, 'alice');
    const second = await login(address, 'alice');

    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.text, first.text);
    assert.equal(second.json.auth.client_token, first.json.auth.client_token);
    assert.equal(second.headers['content-type'], 'application/json');
    assert.equal(first.headers['x-cache'], 'MISS');
    assert.equal(second.headers['x-cache'], 'HIT');
    assert.equal(second.headers.age, '0');
    assert.equal(await serverRequests('auth/userpass/login/alice'), 1);
    assert.equal(log.includes(first.json.auth.client_token), false, 'the log never shows the token');
  });

  test('wrong password is not served from cache', async () => {
    await user('wrong');
    assert.equal((await login(address, 'wrong')).status, 200);
    const denied = await send(address, 'POST', '/v1/auth/userpass/login/wrong', { body: { password: 'not-it' } });
    assert.equal(denied.status, 400);
    assert.equal(denied.headers['x-cache'], 'MISS');
    assert.equal(await serverRequests('auth/userpass/login/wrong'), 2);
  });

  test('concurrent identical logins make one request', async () => {
    await user('dave');
    const responses = await Promise.all([1, 2, 3, 4, 5].map(() => login(address, 'dave')));

    assert.deepEqual(responses.map((response) => response.status), [200, 200, 200, 200, 200]);
    assert.equal(new Set(responses.map((response) => response.json.auth.client_token)).size, 1);
    assert.equal(await serverRequests('auth/userpass/login/dave'), 1);
  });

  test('leased secret is cached per token', async () => {
    await user('lease-a');
    await user('lease-b');
    const tokenA = (await login(address, 'lease-a')).json.auth.client_token as string;
    const tokenB = (await login(address, 'lease-b')).json.auth.client_token as string;
    const before = await serverRequests('database/creds/app');

    const first = await send(address, 'GET', '/v1/database/creds/app', { token: tokenA });
    const second = await send(address, 'GET', '/v1/database/creds/app', { token: tokenA });
    assert.equal(first.status, 200);
    assert.match(first.json.lease_id, /^database\/creds\/app\/.+/);
    assert.equal(second.text, first.text);
    assert.equal(await serverRequests('database/creds/app'), before + 1);

    const other = await send(address, 'GET', '/v1/database/creds/app', { token: tokenB });
    assert.equal(other.status, 200);
    assert.notEqual(other.json.data.username, first.json.data.username);
    assert.equal(await serverRequests('database/creds/app'), before + 2);
  });

  test('lease of unmanaged token is not cached', async () => {
    const before = await serverRequests('database/creds/app');
    const first = await send(address, 'GET', '/v1/database/creds/app', { token: testRootToken });
    const second = await send(address, 'GET', '/v1/database/creds/app', { token: testRootToken });

    assert.equal(first.status, 200);
    assert.notEqual(second.json.lease_id, first.json.lease_id);
    assert.equal(second.headers['x-cache'], 'MISS');
    assert.equal(await serverRequests('database/creds/app'), before + 2);
  });

  test('identical uncached requests run together', async () => {
    // Each read of database/creds/slow takes at least one second on PostgreSQL, and a lease of the
    // root token is not cached. The first read goes alone. The four that waited for it must then
    // run at once, so all five take about two seconds, not five.
    const before = await serverRequests('database/creds/slow');
    const started = Date.now();
    const responses = await Promise.all([1, 2, 3, 4, 5].map(() => send(address, 'GET', '/v1/database/creds/slow', { token: testRootToken })));
    const elapsed = Date.now() - started;

    assert.deepEqual(responses.map((response) => response.status), [200, 200, 200, 200, 200]);
    assert.equal(new Set(responses.map((response) => response.json.lease_id)).size, 5);
    assert.equal(await serverRequests('database/creds/slow'), before + 5);
    assert.ok(elapsed < 3_500, `five reads took ${elapsed} ms, as if one after another`);
  });

  test('KV read is not cached', async () => {
    await user('reader');
    const token = (await login(address, 'reader')).json.auth.client_token as string;
    const before = await serverRequests('kv/app');
    const first = await send(address, 'GET', '/v1/kv/app', { token });
    const second = await send(address, 'GET', '/v1/kv/app', { token });

    assert.equal(first.status, 200);
    assert.equal(first.json.data.password, 'kv-secret');
    assert.equal(first.json.lease_duration, 60);
    assert.equal(second.headers['x-cache'], 'MISS');
    assert.equal(await serverRequests('kv/app'), before + 2);
  });

  test('large request body is streamed', async () => {
    const large = 'x'.repeat(1536 * 1024);
    const written = await send(address, 'PUT', '/v1/kv/large', { token: testRootToken, body: { value: large } });
    assert.equal(written.status, 204);
    assert.equal(written.headers['x-cache'], undefined);
    const read = await root.read('kv/large');
    assert.equal(read!.data!.value, large);
  });

  test('identical streams do not wait', async () => {
    const open = (): Promise<{ status: number; close(): void }> =>
      new Promise((resolve, reject) => {
        const outgoing = request(`${address}/v1/sys/monitor?log_level=debug`, { headers: { 'x-vault-token': testRootToken }, agent: false });
        outgoing.on('response', (incoming) => resolve({ status: incoming.statusCode ?? 0, close: () => outgoing.destroy() }));
        outgoing.on('error', reject);
        outgoing.end();
      });
    const first = await open();
    const second = await Promise.race([open(), sleep(5_000).then(() => undefined)]);
    first.close();
    second?.close();
    assert.equal(first.status, 200);
    assert.equal(second?.status, 200);
  });

  test('lease revoke through proxy evicts', async () => {
    await user('revoker');
    const token = (await login(address, 'revoker')).json.auth.client_token as string;
    const leased = await send(address, 'GET', '/v1/database/creds/app', { token });
    const before = await serverRequests('database/creds/app');
    assert.equal((await send(address, 'GET', '/v1/database/creds/app', { token })).text, leased.text);
    assert.equal(await serverRequests('database/creds/app'), before);

    const revoked = await send(address, 'PUT', '/v1/sys/leases/revoke', { token, body: { lease_id: leased.json.lease_id } });
    assert.equal(revoked.status, 204);
    const again = await send(address, 'GET', '/v1/database/creds/app', { token });
    assert.equal(again.status, 200);
    assert.notEqual(again.json.lease_id, leased.json.lease_id);
    assert.equal(await serverRequests('database/creds/app'), before + 1);
  });

  test('revoke-prefix through proxy evicts', async () => {
    await user('prefix');
    const token = (await login(address, 'prefix')).json.auth.client_token as string;
    const leased = await send(address, 'GET', '/v1/database/creds/app', { token });
    const before = await serverRequests('database/creds/app');
    assert.equal((await send(address, 'GET', '/v1/database/creds/app', { token })).text, leased.text);
    assert.equal(await serverRequests('database/creds/app'), before);

    const revoked = await send(address, 'PUT', '/v1/sys/leases/revoke-prefix/database/creds/app', { token: testRootToken, body: {} });
    assert.equal(revoked.status, 204);
    const again = await send(address, 'GET', '/v1/database/creds/app', { token });
    assert.notEqual(again.json.lease_id, leased.json.lease_id);
    assert.equal(await serverRequests('database/creds/app'), before + 1);
  });

  test('token revoke evicts its children and leases', async () => {
    await user('parent');
    const parent = (await login(address, 'parent')).json.auth.client_token as string;
    const child = await send(address, 'POST', '/v1/auth/token/create', { token: parent, body: { policies: ['app'], ttl: '1h' } });
    assert.equal(child.status, 200);
    assert.equal(child.json.auth.orphan, false);
    const childToken = child.json.auth.client_token as string;
    await send(address, 'GET', '/v1/database/creds/app', { token: childToken });
    const creates = await serverRequests('auth/token/create');
    const reads = await serverRequests('database/creds/app');
    assert.equal((await send(address, 'POST', '/v1/auth/token/create', { token: parent, body: { policies: ['app'], ttl: '1h' } })).json.auth.client_token, childToken);
    assert.equal((await send(address, 'GET', '/v1/database/creds/app', { token: childToken })).status, 200);
    assert.equal(await serverRequests('auth/token/create'), creates);
    assert.equal(await serverRequests('database/creds/app'), reads);

    const revoked = await send(address, 'POST', '/v1/auth/token/revoke', { token: testRootToken, body: { token: parent } });
    assert.equal(revoked.status, 204);
    const create = await send(address, 'POST', '/v1/auth/token/create', { token: parent, body: { policies: ['app'], ttl: '1h' } });
    const read = await send(address, 'GET', '/v1/database/creds/app', { token: childToken });
    assert.equal(create.status, 403);
    assert.equal(read.status, 403);
    assert.equal(await serverRequests('auth/token/create'), creates + 1);
    assert.equal(await serverRequests('database/creds/app'), reads + 1);
  });

  test('revoke-orphan keeps child entries', async () => {
    await user('orphaner');
    const parent = (await login(address, 'orphaner')).json.auth.client_token as string;
    const child = (await send(address, 'POST', '/v1/auth/token/create', { token: parent, body: { policies: ['app'], ttl: '1h' } })).json.auth.client_token as string;
    const leased = await send(address, 'GET', '/v1/database/creds/app', { token: child });
    const reads = await serverRequests('database/creds/app');

    const revoked = await send(address, 'POST', '/v1/auth/token/revoke-orphan', { token: testRootToken, body: { token: parent } });
    assert.equal(revoked.status, 204);
    const again = await send(address, 'GET', '/v1/database/creds/app', { token: child });
    assert.equal(again.text, leased.text);
    assert.equal(await serverRequests('database/creds/app'), reads);
    const logins = await serverRequests('auth/userpass/login/orphaner');
    assert.notEqual((await login(address, 'orphaner')).json.auth.client_token, parent);
    assert.equal(await serverRequests('auth/userpass/login/orphaner'), logins + 1);
  });

  test('login at max TTL is evicted', async () => {
    // The cache renews the token, but cannot extend it past its max TTL: the entry goes before the token ends.
    await user('brief', { token_ttl: '2s', token_max_ttl: '2s' });
    const first = await login(address, 'brief');
    assert.equal(first.json.auth.lease_duration, 2);
    assert.equal((await login(address, 'brief')).json.auth.client_token, first.json.auth.client_token);
    assert.equal(await serverRequests('auth/userpass/login/brief'), 1);

    await sleep(2_600);
    const later = await login(address, 'brief');
    assert.notEqual(later.json.auth.client_token, first.json.auth.client_token);
    assert.equal(await serverRequests('auth/userpass/login/brief'), 2);
  });

  test('lease renewal through proxy extends entry', async () => {
    await user('renewer');
    const token = (await login(address, 'renewer')).json.auth.client_token as string;
    const leased = await send(address, 'GET', '/v1/database/creds/short', { token });
    assert.equal(leased.json.lease_duration, 4);
    const before = await serverRequests('database/creds/short');

    const renewed = await send(address, 'PUT', '/v1/sys/leases/renew', { token, body: { lease_id: leased.json.lease_id, increment: 30 } });
    assert.equal(renewed.status, 200);
    assert.equal(renewed.json.lease_duration, 30);
    const lookup = async (): Promise<Record<string, unknown>> => (await root.write('sys/leases/lookup', { lease_id: leased.json.lease_id }))!.data!;
    const renewedAt = (await lookup()).last_renewal;
    await sleep(5_000);
    const again = await send(address, 'GET', '/v1/database/creds/short', { token });
    assert.equal(again.text, leased.text);
    assert.equal(await serverRequests('database/creds/short'), before);
    // The cache's own renewal moved to two thirds of the 30 seconds. At two thirds of 4 it would have come by now.
    assert.equal((await lookup()).last_renewal, renewedAt);
  });

  test('lease at max TTL is evicted', async () => {
    await user('expiring');
    const token = (await login(address, 'expiring')).json.auth.client_token as string;
    const leased = await send(address, 'GET', '/v1/database/creds/capped', { token });
    const before = await serverRequests('database/creds/capped');
    assert.equal((await send(address, 'GET', '/v1/database/creds/capped', { token })).text, leased.text);
    assert.equal(await serverRequests('database/creds/capped'), before);

    await sleep(2_600);
    const again = await send(address, 'GET', '/v1/database/creds/capped', { token });
    assert.equal(again.status, 200);
    assert.notEqual(again.json.lease_id, leased.json.lease_id);
    assert.equal(await serverRequests('database/creds/capped'), before + 1);
  });

  test('legacy sys/revoke path evicts', async () => {
    await user('legacy-revoker');
    const token = (await login(address, 'legacy-revoker')).json.auth.client_token as string;
    const leased = await send(address, 'GET', '/v1/database/creds/app', { token });
    const before = await serverRequests('database/creds/app');

    const revoked = await send(address, 'PUT', `/v1/sys/revoke/${leased.json.lease_id as string}`, { token: testRootToken, body: {} });
    assert.equal(revoked.status, 204);
    const again = await send(address, 'GET', '/v1/database/creds/app', { token });
    assert.equal(again.status, 200);
    assert.equal(again.headers['x-cache'], 'MISS');
    assert.notEqual(again.json.lease_id, leased.json.lease_id);
    assert.equal(await serverRequests('database/creds/app'), before + 1);
  });

  test('percent-encoded revoke path evicts', async () => {
    await user('encoded-revoker');
    const token = (await login(address, 'encoded-revoker')).json.auth.client_token as string;
    const leased = await send(address, 'GET', '/v1/database/creds/app', { token });
    const before = await serverRequests('database/creds/app');

    const encoded = encodeURIComponent(leased.json.lease_id as string);
    const revoked = await send(address, 'PUT', `/v1/sys/leases/%72evoke/${encoded}`, { token: testRootToken, body: {} });
    assert.equal(revoked.status, 204);
    const again = await send(address, 'GET', '/v1/database/creds/app', { token });
    assert.equal(again.status, 200);
    assert.equal(again.headers['x-cache'], 'MISS');
    assert.notEqual(again.json.lease_id, leased.json.lease_id);
    assert.equal(await serverRequests('database/creds/app'), before + 1);
  });

  test('revoke body lease_id wins over path', async () => {
    await user('body-revoker');
    const token = (await login(address, 'body-revoker')).json.auth.client_token as string;
    const leased = await send(address, 'GET', '/v1/database/creds/app', { token });
    const before = await serverRequests('database/creds/app');

    const revoked = await send(address, 'PUT', '/v1/sys/leases/revoke/database/creds/app/not-a-lease', { token: testRootToken, body: { lease_id: leased.json.lease_id } });
    assert.equal(revoked.status, 204);
    const lookup = await send(address, 'PUT', '/v1/sys/leases/lookup', { token: testRootToken, body: { lease_id: leased.json.lease_id } });
    assert.equal(lookup.status, 400);
    const again = await send(address, 'GET', '/v1/database/creds/app', { token });
    assert.equal(again.headers['x-cache'], 'MISS');
    assert.notEqual(again.json.lease_id, leased.json.lease_id);
    assert.equal(await serverRequests('database/creds/app'), before + 1);
  });

  test('unwrapped token is not cached', async () => {
    await user('wrapped');
    const wrapLogin = async (): Promise<string> => {
      const wrapped = await send(server.address, 'POST', '/v1/auth/userpass/login/wrapped', { body: { password: 'wrapped-password' }, headers: { 'x-vault-wrap-ttl': '5m' } });
      assert.equal(wrapped.status, 200);
      return wrapped.json.wrap_info.token as string;
    };
    const asHeader = await wrapLogin();
    const inBody = await wrapLogin();
    // A used wrapping token sent as the request's token is denied; one in the body is reported as invalid.
    const cases: [string, { token?: string; body?: unknown }, number][] = [
      ['wrapping token as X-Vault-Token', { token: asHeader }, 403],
      ['wrapping token in body', { token: testRootToken, body: { token: inBody } }, 400],
    ];

    for (const [name, options, status] of cases) {
      const first = await send(address, 'POST', '/v1/sys/wrapping/unwrap', options);
      assert.equal(first.status, 200, name);
      assert.equal(first.json.auth.orphan, true, name);
      assert.equal(first.json.auth.renewable, true, name);
      const second = await send(address, 'POST', '/v1/sys/wrapping/unwrap', options);
      assert.equal(second.headers['x-cache'], 'MISS', name);
      assert.equal(second.status, status, name);
      assert.equal(second.text.includes(first.json.auth.client_token as string), false, name);
    }
  });

  test('revoke of token lease evicts token', async () => {
    await user('lease-parent');
    const parent = (await login(address, 'lease-parent')).json.auth.client_token as string;
    const listLeases = async (): Promise<string[]> => {
      const listed = await send(server.address, 'LIST', '/v1/sys/leases/lookup/auth/token/create/', { token: testRootToken });
      return listed.status === 404 ? [] : (listed.json.data.keys as string[]);
    };
    const before = await listLeases();
    const child = await send(address, 'POST', '/v1/auth/token/create', { token: parent, body: { policies: ['app'], ttl: '1h' } });
    assert.equal(child.status, 200);
    const created = (await listLeases()).filter((key) => !before.includes(key));
    assert.equal(created.length, 1);

    const revoked = await send(address, 'PUT', '/v1/sys/leases/revoke', { token: testRootToken, body: { lease_id: `auth/token/create/${created[0]}` } });
    assert.equal(revoked.status, 204);
    const lookup = await send(address, 'POST', '/v1/auth/token/lookup', { token: testRootToken, body: { token: child.json.auth.client_token } });
    assert.equal(lookup.status, 403);
    const again = await send(address, 'POST', '/v1/auth/token/create', { token: parent, body: { policies: ['app'], ttl: '1h' } });
    assert.equal(again.status, 200);
    assert.equal(again.headers['x-cache'], 'MISS');
    assert.notEqual(again.json.auth.client_token, child.json.auth.client_token);
  });

  test('disabling auth mount evicts its tokens', async () => {
    const enable = async (): Promise<void> => {
      assert.equal((await send(server.address, 'POST', '/v1/sys/auth/userpass-gone', { token: testRootToken, body: { type: 'userpass' } })).status, 204);
      await root.write('auth/userpass-gone/users/gone', { password: 'gone-password', token_policies: 'app' });
    };
    const loginGone = (): Promise<ProxyResponse> => send(address, 'POST', '/v1/auth/userpass-gone/login/gone', { body: { password: 'gone-password' } });
    await enable();
    const first = await loginGone();
    assert.equal(first.status, 200);
    assert.equal((await loginGone()).headers['x-cache'], 'HIT');

    const disabled = await send(address, 'DELETE', '/v1/sys/auth/userpass-gone', { token: testRootToken });
    assert.equal(disabled.status, 204);
    const lookup = await send(address, 'POST', '/v1/auth/token/lookup', { token: testRootToken, body: { token: first.json.auth.client_token } });
    assert.equal(lookup.status, 403);
    await enable();
    const again = await loginGone();
    assert.equal(again.status, 200);
    assert.equal(again.headers['x-cache'], 'MISS');
    assert.notEqual(again.json.auth.client_token, first.json.auth.client_token);
  });

  test('revoke-prefix of token folder evicts tokens', async () => {
    await user('prefix-parent');
    const parent = (await login(address, 'prefix-parent')).json.auth.client_token as string;
    const child = await send(address, 'POST', '/v1/auth/token/create', { token: parent, body: { policies: ['app'], ttl: '1h' } });
    assert.equal(child.status, 200);
    const childToken = child.json.auth.client_token as string;

    const revoked = await send(address, 'PUT', '/v1/sys/leases/revoke-prefix/auth/token/create/', { token: testRootToken, body: {} });
    assert.equal(revoked.status, 204);
    const lookup = await send(address, 'POST', '/v1/auth/token/lookup', { token: testRootToken, body: { token: childToken } });
    assert.equal(lookup.status, 403);
    const creates = await serverRequests('auth/token/create');
    const again = await send(address, 'POST', '/v1/auth/token/create', { token: parent, body: { policies: ['app'], ttl: '1h' } });
    assert.equal(again.status, 200);
    assert.equal(again.headers['x-cache'], 'MISS');
    assert.notEqual(again.json.auth.client_token, childToken);
    assert.equal(await serverRequests('auth/token/create'), creates + 1);
  });

  test('legacy sys/renew path extends entry', async () => {
    await user('legacy-renewer');
    const token = (await login(address, 'legacy-renewer')).json.auth.client_token as string;
    const leased = await send(address, 'GET', '/v1/database/creds/short', { token });
    assert.equal(leased.json.lease_duration, 4);
    const before = await serverRequests('database/creds/short');

    const renewed = await send(address, 'PUT', '/v1/sys/renew', { token: testRootToken, body: { lease_id: leased.json.lease_id, increment: 30 } });
    assert.equal(renewed.status, 200);
    assert.equal(renewed.json.lease_duration, 30);
    await sleep(5_000);
    const again = await send(address, 'GET', '/v1/database/creds/short', { token });
    assert.equal(again.text, leased.text);
    assert.equal(await serverRequests('database/creds/short'), before);
  });

  describe('cache-clear', () => {
    /** Logs `name` in and reads a database secret, both through the proxy, and returns the token, accessor and lease. */
    async function cacheLoginAndLease(name: string): Promise<{ token: string; accessor: string; leaseId: string }> {
      await user(name);
      const auth = (await login(address, name)).json.auth as { client_token: string; accessor: string };
      const leased = await send(address, 'GET', '/v1/database/creds/app', { token: auth.client_token });
      return { token: auth.client_token, accessor: auth.accessor, leaseId: leased.json.lease_id as string };
    }

    /** Repeats the login and the read, and returns how many of the two reached the server. */
    async function repeatedRequests(name: string, token: string): Promise<number> {
      const logins = await serverRequests(`auth/userpass/login/${name}`);
      const reads = await serverRequests('database/creds/app');
      await login(address, name);
      await send(address, 'GET', '/v1/database/creds/app', { token });
      return (await serverRequests(`auth/userpass/login/${name}`)) - logins + (await serverRequests('database/creds/app')) - reads;
    }

    function clear(body: unknown): Promise<ProxyResponse> {
      return send(address, 'POST', '/agent/v1/cache-clear', { body });
    }

    test('request_path clears under prefix', async () => {
      const { token } = await cacheLoginAndLease('clear-path');
      const other = await clear({ type: 'request_path', value: '/v1/database/creds/', namespace: 'team' });
      assert.equal(other.status, 200);
      assert.equal(await repeatedRequests('clear-path', token), 0);

      const cleared = await clear({ type: 'request_path', value: '/v1/database/creds/' });
      assert.equal(cleared.status, 200);
      assert.equal(cleared.text, '');
      const logins = await serverRequests('auth/userpass/login/clear-path');
      const reads = await serverRequests('database/creds/app');
      await login(address, 'clear-path');
      await send(address, 'GET', '/v1/database/creds/app', { token });
      assert.equal(await serverRequests('auth/userpass/login/clear-path'), logins);
      assert.equal(await serverRequests('database/creds/app'), reads + 1);
    });

    test('lease clears one secret', async () => {
      const { token, leaseId } = await cacheLoginAndLease('clear-lease');
      assert.equal(await repeatedRequests('clear-lease', token), 0);
      assert.equal((await clear({ type: 'lease', value: leaseId })).status, 200);
      const reads = await serverRequests('database/creds/app');
      const again = await send(address, 'GET', '/v1/database/creds/app', { token });
      assert.notEqual(again.json.lease_id, leaseId);
      assert.equal(await serverRequests('database/creds/app'), reads + 1);
      assert.equal(await serverRequests('auth/userpass/login/clear-lease'), 1);
      await login(address, 'clear-lease');
      assert.equal(await serverRequests('auth/userpass/login/clear-lease'), 1);
    });

    test('token clears token and its leases', async () => {
      const { token } = await cacheLoginAndLease('clear-token');
      assert.equal(await repeatedRequests('clear-token', token), 0);
      assert.equal((await clear({ type: 'token', value: token })).status, 200);
      assert.equal(await repeatedRequests('clear-token', token), 2);
    });

    test('token_accessor clears token and its leases', async () => {
      const { token, accessor } = await cacheLoginAndLease('clear-accessor');
      assert.equal(await repeatedRequests('clear-accessor', token), 0);
      assert.equal((await clear({ type: 'token_accessor', value: accessor })).status, 200);
      assert.equal(await repeatedRequests('clear-accessor', token), 2);
    });

    test('all clears everything', async () => {
      const { token } = await cacheLoginAndLease('clear-all');
      assert.equal(await repeatedRequests('clear-all', token), 0);
      assert.equal((await clear({ type: 'all' })).status, 200);
      assert.equal(cache.size, 0);
      assert.equal(await repeatedRequests('clear-all', token), 2);
    });

    test('bad input gets 400 and clears nothing', async () => {
      const { token } = await cacheLoginAndLease('clear-bad');
      const choices = 'request_path, lease, token, token_accessor, all';
      const cases: [string, string | undefined, unknown, string][] = [
        ['not JSON', 'not json', undefined, 'invalid request body: expected a JSON object such as {"type": "all"}'],
        ['list', undefined, ['all'], 'invalid request body: expected a JSON object such as {"type": "all"}'],
        ['no type', undefined, {}, `missing "type": use one of ${choices}`],
        ['numeric type', undefined, { type: 7 }, 'invalid "type": expected a string, got a number'],
        ['unknown type', undefined, { type: 'everything' }, `invalid "type" "everything": use one of ${choices}`],
        ['lease without value', undefined, { type: 'lease' }, 'missing "value": type "lease" needs a lease ID'],
        ['empty path', undefined, { type: 'request_path', value: '' }, 'missing "value": type "request_path" needs a request path prefix such as /v1/database/creds/'],
        ['numeric value', undefined, { type: 'token', value: 5 }, 'invalid "value": expected a string, got a number'],
        ['object namespace', undefined, { type: 'all', namespace: {} }, 'invalid "namespace": expected a string, got a object'],
      ];
      const size = cache.size;
      for (const [name, rawBody, body, message] of cases) {
        const response = await send(address, 'POST', '/agent/v1/cache-clear', rawBody === undefined ? { body } : { rawBody });
        assert.equal(response.status, 400, name);
        assert.deepEqual(response.json, { errors: [message] }, name);
      }
      const wrongMethod = await send(address, 'GET', '/agent/v1/cache-clear');
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.allow, 'POST, PUT');
      assert.deepEqual(wrongMethod.json, { errors: ['unsupported method GET for /agent/v1/cache-clear: use POST or PUT'] });

      assert.equal(cache.size, size);
      assert.equal(await repeatedRequests('clear-bad', token), 0);
    });
  });

  test('oldest entry goes at max entries', async () => {
    const small = new LeaseCache(new AgentLogger({ write: (chunk: string) => (log += chunk) }, 'debug'), { maxEntries: 2 });
    const through = await startCachedProxy(small, false);
    try {
      for (const name of ['old-1', 'old-2', 'old-3']) {
        await user(name);
        await login(through, name);
      }
      assert.equal(small.size, 2);
      await login(through, 'old-2');
      await login(through, 'old-3');
      await login(through, 'old-1');
      assert.equal(await serverRequests('auth/userpass/login/old-1'), 2);
      assert.equal(await serverRequests('auth/userpass/login/old-2'), 1);
      assert.equal(await serverRequests('auth/userpass/login/old-3'), 1);
    } finally {
      small.close();
    }
  });

  test('oldest entry goes at max bytes', async () => {
    for (const name of ['bytes-0', 'bytes-1', 'bytes-2', 'bytes-3']) await user(name);
    // Logins of names of one length return bodies of one length.
    const sample = (await login(server.address, 'bytes-0')).text.length;
    const small = new LeaseCache(new AgentLogger({ write: (chunk: string) => (log += chunk) }, 'debug'), { maxBytes: 2 * sample + Math.floor(sample / 2) });
    const through = await startCachedProxy(small, false);
    try {
      for (const name of ['bytes-1', 'bytes-2', 'bytes-3']) assert.equal((await login(through, name)).text.length, sample);
      assert.equal(small.size, 2);
      assert.equal(small.bytes, 2 * sample);
      await login(through, 'bytes-2');
      await login(through, 'bytes-3');
      await login(through, 'bytes-1');
      assert.equal(await serverRequests('auth/userpass/login/bytes-1'), 2);
      assert.equal(await serverRequests('auth/userpass/login/bytes-2'), 1);
      assert.equal(await serverRequests('auth/userpass/login/bytes-3'), 1);
    } finally {
      small.close();
    }
  });

  test('leases of auto-auth token are cached', async () => {
    await user('auto');
    const autoToken = (await root.write('auth/userpass/login/auto', { password: 'auto-password' }))!.auth!.client_token;
    const ownCache = new LeaseCache(new AgentLogger({ write: (chunk: string) => (log += chunk) }, 'debug'));
    ownCache.registerAutoAuthToken(autoToken);
    const through = await startCachedProxy(ownCache, true, autoToken);
    try {
      const reads = await serverRequests('database/creds/app');
      const first = await send(through, 'GET', '/v1/database/creds/app');
      const second = await send(through, 'GET', '/v1/database/creds/app');
      assert.equal(first.status, 200);
      assert.equal(second.text, first.text);
      assert.equal(await serverRequests('database/creds/app'), reads + 1);

      // A new auto-auth token evicts what the previous one created.
      const nextToken = (await root.write('auth/userpass/login/auto', { password: 'auto-password' }))!.auth!.client_token;
      ownCache.registerAutoAuthToken(nextToken);
      assert.equal(ownCache.size, 0);
    } finally {
      ownCache.close();
    }
  });
});

describe('agent cache tree', () => {
  /** Feeds the cache what the proxy passes it for a token that `parent` created with auth/token/create. */
  function observeChildToken(cache: LeaseCache, parent: string, child: string): void {
    const request = { method: 'POST', path: '/v1/auth/token/create', query: '', body: Buffer.from('{}'), token: parent, namespace: 'root/', varyingHeaders: [] };
    const auth = { client_token: child, accessor: `accessor-of-${child}`, lease_duration: 3600, renewable: true, orphan: false };
    const body = Buffer.from(JSON.stringify({ auth }));
    cache.observe(`key-of-${child}`, request, { status: 200, headers: { 'content-type': 'application/json' }, body, storedAt: Date.now() });
  }

  test('deep token chain is evicted', () => {
    // Each token created the next one through the proxy, so evicting one token evicts the whole chain below it.
    const cache = new LeaseCache(new AgentLogger({ write: () => true }, 'info'));
    cache.registerAutoAuthToken('chain-0');
    for (let depth = 1; depth <= 8000; depth += 1) observeChildToken(cache, `chain-${depth - 1}`, `chain-${depth}`);
    assert.equal(cache.size, 8000);
    assert.equal(cache.pendingTimers, 8000);

    const request = { method: 'PUT', path: '/v1/auth/token/revoke', query: '', body: Buffer.from('{"token": "chain-2"}'), token: 'chain-0', namespace: 'root/', varyingHeaders: [] };
    cache.observe('revoke-key', request, { status: 204, headers: {}, body: Buffer.alloc(0), storedAt: Date.now() });
    assert.equal(cache.size, 1);
    assert.equal(cache.clear('token', 'chain-1', 'root/'), 1);
    assert.equal(cache.size, 0);
    assert.equal(cache.pendingTimers, 0);
    cache.close();
  });

  test('clock set back does not extend TTL', async () => {
    const cache = new LeaseCache(new AgentLogger({ write: () => true }, 'info'));
    const request = { method: 'POST', path: '/v1/auth/token/create', query: '', body: Buffer.from('{}'), token: '', namespace: 'root/', varyingHeaders: [] };
    const auth = { client_token: 'short', accessor: 'accessor-of-short', lease_duration: 0.3, renewable: true, orphan: true };
    cache.observe('short-key', request, { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ auth })), storedAt: Date.now() });
    assert.equal(cache.size, 1);

    // The system clock goes back an hour. The entry still goes when its 300 ms TTL ends.
    mock.timers.enable({ apis: ['Date'], now: Date.now() - 3600 * 1000 });
    try {
      await sleep(400);
      assert.equal(cache.lookup('short-key'), undefined);
      assert.equal(cache.size, 0);
      assert.equal(cache.pendingTimers, 0);
    } finally {
      mock.timers.reset();
      cache.close();
    }
  });
});
