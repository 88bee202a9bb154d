// Tests of the cache's lifetime watchers against a dev server in this
// process: tokens and database leases of two seconds, cached through a
// proxy listener, are renewed by the cache, which the server's own lookups
// show, and evicted when renewal fails or reaches the max TTL. The last
// tests stop the cache and a whole agent, and check with async_hooks that
// no timer of the cache is left.
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import type { ClientConfig } from '../client.js';
import { CofferClient } from '../client.js';
import { main } from '../index.js';
import { captureIO, makeTempDir } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer, testRootToken } from '../test-server.js';
import type { LeaseCacheOptions } from './lease-cache.js';
import { LeaseCache } from './lease-cache.js';
import { AgentLogger } from './log.js';
import type { RunningProxy } from './proxy.js';
import { startProxy } from './proxy.js';

interface ProxyResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

function send(address: string, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<ProxyResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['x-vault-token'] = options.token;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
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

/** Seconds since the epoch of an RFC 3339 time. */
function epochSeconds(time: unknown): number {
  return Date.parse(String(time)) / 1000;
}

/**
 * Tracks the Node.js timers created by the cache's modules until they fire
 * or are cleared, from the stack at their creation.
 */
function trackCacheTimers(): { live: Map<number, string>; disable(): void } {
  const live = new Map<number, string>();
  const hook = createHook({
    init(asyncId, type) {
      if (type !== 'Timeout') return;
      const stack = new Error().stack ?? '';
      if (/\/agent\/(lease-cache|lifetime-watcher|renewal-client)\.js/.test(stack)) live.set(asyncId, stack);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  return { live, disable: () => hook.disable() };
}

describe('agent cache renewal', { timeout: 120_000 }, () => {
  let server: TestServer;
  let root: CofferClient;
  let folder: { path: string; remove(): Promise<void> };
  let auditPath: string;
  let log = '';
  const proxies: RunningProxy[] = [];
  const caches: LeaseCache[] = [];

  async function serverRequests(path: string): Promise<number> {
    const lines = (await readFile(auditPath, 'utf8')).split('\n').filter((line) => line !== '');
    return lines.map((line) => JSON.parse(line) as { type: string; request: { path: string } }).filter((entry) => entry.type === 'request' && entry.request.path === path).length;
  }

  /** Starts a proxy listener with a cache of its own and returns both. */
  async function cachedProxy(options: LeaseCacheOptions = {}, autoAuthToken?: string): Promise<{ address: string; cache: LeaseCache }> {
    const logger = new AgentLogger({ write: (chunk: string) => (log += chunk) }, 'debug');
    const cache = new LeaseCache(logger.named('cache'), options);
    if (autoAuthToken !== undefined) cache.registerAutoAuthToken(autoAuthToken);
    caches.push(cache);
    const clientConfig: ClientConfig = { address: server.address, token: '', skipVerify: false };
    const listener = { address: '127.0.0.1:0', tlsDisable: true, requireRequestHeader: false };
    const started = await startProxy(listener, clientConfig, { useAutoAuthToken: autoAuthToken !== undefined, currentToken: () => autoAuthToken, cache }, logger);
    proxies.push(started);
    return { address: `http://${started.address}`, cache };
  }

  /** Creates a userpass user, logs in through `address` and returns the token. */
  async function login(address: string, name: string, settings: Record<string, unknown> = {}): Promise<string> {
    await root.write(`auth/userpass/users/${name}`, { password: `${name}-password`, token_policies: 'app', ...settings });
    const response = await send(address, 'POST', `/v1/auth/userpass/login/${name}`, { body: { password: `${name}-password` } });
    assert.equal(response.status, 200, response.text);
    return response.json.auth.client_token as string;
  }

  async function lookupToken(token: string): Promise<Record<string, any>> {
    return (await root.write('auth/token/lookup', { token }))!.data as Record<string, any>;
  }

  async function lookupLease(leaseId: string): Promise<Record<string, any>> {
    return (await root.write('sys/leases/lookup', { lease_id: leaseId }))!.data as Record<string, any>;
  }

  before(async () => {
    server = await startDevServer();
    root = new CofferClient({ address: server.address, token: testRootToken, skipVerify: false });
    folder = await makeTempDir('coffer-agent-renewal-');
    auditPath = join(folder.path, 'audit.log');
    await root.write('sys/audit/file', { type: 'file', options: { file_path: auditPath } });
    await root.write('sys/auth/userpass', { type: 'userpass' });
    await root.write('sys/policies/acl/app', {
      policy: ['path "database/creds/*" { capabilities = ["read"] }', 'path "sys/leases/renew" { capabilities = ["update"] }', 'path "auth/token/create" { capabilities = ["update"] }'].join('\n'),
    });
    await root.write('sys/mounts/database', { type: 'database' });
    await root.write('database/config/pg', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:5432/postgres?sslmode=disable',
      username: 'postgres',
      password: 'unused-with-trust-auth',
      allowed_roles: '*',
    });
    const creation = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
    await root.write('database/roles/brief', { db_name: 'pg', creation_statements: creation, default_ttl: '2s', max_ttl: '1m' });
    await root.write('database/roles/app', { db_name: 'pg', creation_statements: creation, default_ttl: '1h', max_ttl: '2h' });
  });

  after(async () => {
    await Promise.all(proxies.map((started) => started.close()));
    for (const cache of caches) cache.close();
    await root.write('sys/leases/revoke-prefix/database/', {});
    await server.close();
    await folder.remove();
  });

  test('cached token is renewed', async () => {
    const { address, cache } = await cachedProxy();
    const parent = await login(address, 'token-renewed');
    const body = { policies: ['app'], ttl: '2s', explicit_max_ttl: '1m' };
    const created = await send(address, 'POST', '/v1/auth/token/create', { token: parent, body });
    assert.equal(created.status, 200);
    const child = created.json.auth.client_token as string;
    const issued = await lookupToken(child);
    const renewals = await serverRequests('auth/token/renew-self');

    // A two-second token is renewed at about 1.4 to 1.5 seconds, so it is still alive after three.
    await sleep(3_000);
    const renewed = await lookupToken(child);
    assert.equal(issued.last_renewal_time ?? null, null);
    assert.equal(typeof renewed.last_renewal_time, 'number');
    assert.ok(epochSeconds(renewed.expire_time) > epochSeconds(issued.expire_time), `expiry ${renewed.expire_time} not after ${issued.expire_time}`);
    assert.ok((await serverRequests('auth/token/renew-self')) >= renewals + 1);
    const again = await send(address, 'POST', '/v1/auth/token/create', { token: parent, body });
    assert.equal(again.headers['x-cache'], 'HIT');
    assert.equal(again.json.auth.client_token, child);
    cache.close();
  });

  test('cached lease is renewed with its token', async () => {
    const { address, cache } = await cachedProxy();
    const token = await login(address, 'lease-renewed');
    const leased = await send(address, 'GET', '/v1/database/creds/brief', { token });
    assert.equal(leased.status, 200);
    assert.equal(leased.json.lease_duration, 2);
    const issued = await lookupLease(leased.json.lease_id as string);
    assert.equal(issued.last_renewal, null);

    await sleep(1_800);
    const renewed = await lookupLease(leased.json.lease_id as string);
    assert.notEqual(renewed.last_renewal, null);
    assert.ok(epochSeconds(renewed.expire_time) > epochSeconds(issued.expire_time), `expiry ${renewed.expire_time} not after ${issued.expire_time}`);
    const again = await send(address, 'GET', '/v1/database/creds/brief', { token });
    assert.equal(again.headers['x-cache'], 'HIT');
    assert.equal(again.json.lease_id, leased.json.lease_id);
    cache.close();
  });

  test('lease whose renewal fails is evicted', async () => {
    const { address, cache } = await cachedProxy();
    const token = await login(address, 'lease-failed');
    const leased = await send(address, 'GET', '/v1/database/creds/brief', { token });
    assert.equal((await send(address, 'GET', '/v1/database/creds/brief', { token })).headers['x-cache'], 'HIT');

    // The lease is revoked on the server, not through the proxy, so only the failed renewal evicts it.
    await root.write('sys/leases/revoke', { lease_id: leased.json.lease_id });
    await sleep(1_800);
    assert.match(log, /renewing cache entry failed, evicting it: kind=lease path=\/v1\/database\/creds\/brief error="code 400: lease not found"/);
    const again = await send(address, 'GET', '/v1/database/creds/brief', { token });
    assert.equal(again.status, 200);
    assert.equal(again.headers['x-cache'], 'MISS');
    assert.notEqual(again.json.lease_id, leased.json.lease_id);
    cache.close();
  });

  test('revoked token is evicted with its leases', async () => {
    const { address, cache } = await cachedProxy();
    const token = await login(address, 'parent-revoked', { token_ttl: '2s', token_max_ttl: '1m' });
    const leased = await send(address, 'GET', '/v1/database/creds/app', { token });
    assert.equal(leased.status, 200);
    assert.equal(cache.size, 2);

    // Revoking the token on the server revokes its lease too. The token's failed renew-self evicts both entries.
    await root.write('auth/token/revoke', { token });
    await sleep(1_800);
    assert.equal(cache.size, 0);
    assert.equal(cache.pendingTimers, 0);
    const denied = await send(address, 'GET', '/v1/database/creds/app', { token });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers['x-cache'], 'MISS');
    const relogin = await send(address, 'POST', '/v1/auth/userpass/login/parent-revoked', { body: { password: 'parent-revoked-password' } });
    assert.equal(relogin.headers['x-cache'], 'MISS');
    assert.notEqual(relogin.json.auth.client_token, token);
    cache.close();
  });

  test('token at max TTL is evicted', async () => {
    const { address, cache } = await cachedProxy();
    const parent = await login(address, 'max-ttl');
    const body = { policies: ['app'], ttl: '2s', explicit_max_ttl: '3s' };
    const created = await send(address, 'POST', '/v1/auth/token/create', { token: parent, body });
    const child = created.json.auth.client_token as string;
    assert.equal(cache.size, 2);

    await sleep(2_700);
    assert.equal(cache.size, 1, 'the child token is gone before its max TTL');
    assert.match(log, /cache entry cannot be renewed further, evicting it: kind=token path=\/v1\/auth\/token\/create/);
    const again = await send(address, 'POST', '/v1/auth/token/create', { token: parent, body });
    assert.equal(again.headers['x-cache'], 'MISS');
    assert.notEqual(again.json.auth.client_token, child);
    cache.close();
  });

  test('evicted entry is no longer renewed', async () => {
    const { address, cache } = await cachedProxy();
    const token = await login(address, 'cleared');
    const cleared = await send(address, 'GET', '/v1/database/creds/brief', { token });
    const revoked = await send(address, 'GET', '/v1/database/creds/brief', { token: await login(address, 'revoked-through-proxy') });
    assert.equal(cache.size, 4);
    assert.equal(cache.pendingTimers, 8, 'a TTL timer and a renewal timer for each entry');

    const logStart = log.length;
    const renewals = await serverRequests('sys/leases/renew');
    const clear = await send(address, 'POST', '/agent/v1/cache-clear', { body: { type: 'lease', value: cleared.json.lease_id } });
    assert.equal(clear.status, 200);
    const revoke = await send(address, 'PUT', '/v1/sys/leases/revoke', { token: testRootToken, body: { lease_id: revoked.json.lease_id } });
    assert.equal(revoke.status, 204);
    assert.equal(cache.size, 2);
    assert.equal(cache.pendingTimers, 4);

    // Both leases would have been renewed at about 1.4 seconds.
    await sleep(1_800);
    assert.equal(await serverRequests('sys/leases/renew'), renewals);
    assert.doesNotMatch(log.slice(logStart), /renewed cache entry|renewing cache entry failed/);
    cache.close();
  });

  test('closing the cache stops renewals', async () => {
    const timers = trackCacheTimers();
    try {
      let inflight: AbortSignal | undefined;
      const { address, cache } = await cachedProxy({
        // A renewal that hangs until it is aborted, as against a server that stopped responding.
        renew: (_server, _target, signal) => {
          inflight = signal;
          return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ outcome: 'unavailable', message: 'aborted' })));
        },
      });
      const token = await login(address, 'closing');
      await send(address, 'GET', '/v1/database/creds/brief', { token });
      await send(address, 'GET', '/v1/database/creds/app', { token });
      assert.ok(timers.live.size >= 5, `${timers.live.size} timers`);
      await sleep(1_600);
      assert.equal(inflight?.aborted, false, 'the renewal of the two-second lease is in flight');

      cache.close();
      assert.equal(inflight?.aborted, true);
      assert.equal(cache.pendingTimers, 0);
      await tick();
      assert.deepEqual([...timers.live.values()], []);
    } finally {
      timers.disable();
    }
  });

  test('stopping the agent leaves no cache timers', async () => {
    const timers = trackCacheTimers();
    const agentFolder = await makeTempDir('coffer-agent-renewal-run-');
    try {
      const agentToken = (await root.write('auth/token/create', { policies: ['app'], ttl: '1h' }))!.auth!.client_token;
      const tokenPath = join(agentFolder.path, 'token');
      await writeFile(tokenPath, agentToken);
      const configPath = join(agentFolder.path, 'agent.hcl');
      await writeFile(
        configPath,
        `vault {
  address = "${server.address}"
}
auto_auth {
  method "token_file" {
    config = {
      token_file_path = "${tokenPath}"
    }
  }
}
cache {
  use_auto_auth_token = true
}
listener "tcp" {
  address     = "127.0.0.1:0"
  tls_disable = true
}
`,
      );
      const stop = new AbortController();
      const { io, stdout, stderr } = captureIO({ env: { HOME: agentFolder.path }, signal: stop.signal });
      const running = main(['agent', `-config=${configPath}`, '-log-level=debug'], io);
      let address: string | undefined;
      for (let tries = 0; address === undefined && tries < 100; tries += 1) {
        await sleep(50);
        const match = /Listener 1: tcp \(addr: "([^"]+)"/.exec(stdout.text);
        if (match !== null) address = `http://${match[1]}`;
      }
      assert.ok(address !== undefined, stdout.text + stderr.text);

      // Until auto-auth has a token, the proxy adds none and the server denies the read.
      let leased: ProxyResponse | undefined;
      for (let tries = 0; leased?.status !== 200 && tries < 100; tries += 1) {
        if (tries > 0) await sleep(50);
        leased = await send(address, 'GET', '/v1/database/creds/brief');
      }
      assert.equal(leased?.status, 200, leased?.text);
      assert.equal((await send(address, 'GET', '/v1/database/creds/brief')).headers['x-cache'], 'HIT');
      const issued = await lookupLease(leased!.json.lease_id as string);

      // The agent renews the lease with its own token, the one that requested it.
      await sleep(1_800);
      const renewed = await lookupLease(leased!.json.lease_id as string);
      assert.notEqual(renewed.last_renewal, null, stderr.text);
      assert.ok(epochSeconds(renewed.expire_time) > epochSeconds(issued.expire_time));
      assert.ok(timers.live.size >= 2);

      stop.abort();
      assert.equal(await running, 0, stderr.text);
      await tick();
      assert.deepEqual([...timers.live.values()], []);
    } finally {
      timers.disable();
      await agentFolder.remove();
    }
  });
});
