import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createThrowawayDatabase, type ThrowawayDatabase } from '@coffer/storage-postgresql/testing';
import { startServer, type RunningServer } from '../server.js';
import { sendFrom, sleep, statuses } from './test-support.js';

const silentLog = { write: (): boolean => true };

let database: ThrowawayDatabase | undefined;
let directory = '';
const servers: RunningServer[] = [];

after(async () => {
  for (const server of servers) await server.close();
  if (database !== undefined) await database.drop();
  if (directory !== '') await rm(directory, { recursive: true, force: true });
});

/** Starts an HA node on a lock table shared by every node with the same `suffix`. */
async function startNode(name: string, suffix: string): Promise<RunningServer> {
  const configPath = join(directory, `${name}.hcl`);
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
`,
  );
  const server = await startServer({ configPaths: [configPath], logLevel: 'error', logDestination: silentLog, haStepDownPauseMs: 1_500 });
  servers.push(server);
  return server;
}

async function waitUntilActive(server: RunningServer): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < 15_000) {
    if ((await sendFrom(server, 'GET', 'sys/health')).status === 200) return;
    await sleep(100);
  }
  throw new Error(`timed out after 15000 ms waiting until ${server.address} is active`);
}

test('quotas follow the active node', async () => {
  database = await createThrowawayDatabase();
  directory = await mkdtemp(join(tmpdir(), 'coffer-ha-quotas-'));
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const a = await startNode('a', suffix);
  const b = await startNode('b', suffix);

  const init = await sendFrom(a, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  const key: string = init.body.keys_base64[0];
  const root: string = init.body.root_token;
  await sendFrom(a, 'PUT', 'sys/unseal', { body: { key } });
  await waitUntilActive(a);
  await sendFrom(b, 'PUT', 'sys/unseal', { body: { key } });

  assert.equal((await sendFrom(a, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } })).status, 204);
  const quota = { path: 'kv/', rate: 2, interval: '1h' };
  assert.equal((await sendFrom(a, 'POST', 'sys/quotas/rate-limit/kv-reads', { token: root, body: quota })).status, 204);
  assert.equal((await sendFrom(a, 'POST', 'sys/quotas/config', { token: root, body: { enable_rate_limit_response_headers: true } })).status, 204);
  assert.equal(b.core.quotas.active, false, 'a standby holds no quota');

  // b forwards to a, which counts each request against the client's own address, not b's.
  const read = (server: RunningServer, from: string) => () => sendFrom(server, 'GET', 'kv/x', { from, token: root });
  assert.deepEqual(await statuses(3, read(b, '127.0.0.2')), [404, 404, 429]);
  assert.deepEqual(await statuses(2, read(b, '127.0.0.1')), [404, 404], 'the standby\'s own address has its own count');
  const relayed = await read(b, '127.0.0.2')();
  assert.equal(relayed.status, 429);
  assert.equal(relayed.headers['x-ratelimit-limit'], '2', 'the standby relays the rate limit headers');
  assert.deepEqual(relayed.body, { errors: ['request path "kv/x": rate limit quota exceeded'] });

  // a steps down; b takes over and reads the quota from storage.
  assert.equal((await sendFrom(a, 'PUT', 'sys/step-down', { token: root })).status, 204);
  await waitUntilActive(b);
  assert.deepEqual(b.core.quotas.names(), ['kv-reads']);
  assert.equal(b.core.quotas.settings.enableRateLimitResponseHeaders, true);
  assert.equal(a.core.quotas.active, false, 'the node that stepped down dropped its quotas');
  assert.deepEqual(await statuses(3, read(b, '127.0.0.2')), [404, 404, 429], 'the new active node enforces the quota with fresh counts');
});
