import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createThrowawayDatabase, type ThrowawayDatabase } from '@coffer/storage-postgresql/testing';
import { etcdUnavailableReason, startTestEtcd, type TestEtcd } from '@coffer/storage-etcd/testing';
import { dropDatabase, testSettings, throwawayDatabaseName } from '@coffer/storage-mysql/testing';
import { killAndWait, prepareCluster, runCli, type ClusterNode, type TestCluster } from './test-cluster.js';

/** The lock TTL of the test clusters; a standby must take over within it (plus one retry and a start-up margin). */
const LOCK_TTL_MS = 3_000;
const TAKEOVER_MARGIN_MS = 3_000;

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
  headers: Headers;
}

async function call(node: ClusterNode, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const response = await fetch(`${node.address}/v1/${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(options.token !== undefined ? { 'X-Vault-Token': options.token } : {}),
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
}

/** Polls until `check` passes or the time runs out; returns how long it took. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
}

async function healthCode(node: ClusterNode): Promise<number> {
  return (await call(node, 'GET', 'sys/health')).status;
}

/** Waits until exactly one of `nodes` returns 200 from sys/health and the rest 429, and returns that node. */
async function waitForActive(nodes: ClusterNode[], timeoutMs: number): Promise<ClusterNode> {
  let active: ClusterNode | undefined;
  await eventually(
    'one node is active',
    async () => {
      const codes = await Promise.all(nodes.map((node) => healthCode(node).catch(() => 0)));
      const actives = nodes.filter((_node, i) => codes[i] === 200);
      active = actives.length === 1 ? actives[0] : undefined;
      return active !== undefined && codes.every((code) => code === 200 || code === 429);
    },
    timeoutMs,
  );
  return active!;
}

/**
 * Runs the scenario of both backends: start three nodes, check the standbys,
 * kill the active node with SIGKILL while a client writes through every node,
 * check that every acknowledged write survived, and step down.
 */
async function runFailoverScenario(cluster: TestCluster): Promise<{ acknowledged: number; takeoverMs: number }> {
  const first = await cluster.start(0);
  const init = await call(first, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  assert.equal(init.status, 200, JSON.stringify(init.body));
  const unsealKey = (init.body!.keys_base64 as string[])[0];
  const token = init.body!.root_token as string;
  await cluster.start(1);
  await cluster.start(2);
  for (const node of cluster.nodes) {
    const unsealed = await call(node, 'PUT', 'sys/unseal', { body: { key: unsealKey } });
    assert.equal(unsealed.body?.sealed, false, node.output());
  }

  const active = await waitForActive(cluster.nodes, 10_000);
  const standbys = cluster.nodes.filter((node) => node !== active);
  const mounted = await call(active, 'POST', 'sys/mounts/secret', { token, body: { type: 'kv', options: { version: '2' } } });
  assert.equal(mounted.status, 204, JSON.stringify(mounted.body));

  await checkStandby(standbys[0], active, [...standbys].sort((a, b) => a.address.localeCompare(b.address)), token);

  // The client writes through all three nodes in turn and records only acknowledged writes.
  const acknowledged = new Map<string, string>();
  let stopWriting = false;
  let attempt = 0;
  const writer = (async () => {
    while (!stopWriting) {
      attempt += 1;
      const node = cluster.nodes[attempt % cluster.nodes.length];
      const key = `k${attempt}`;
      const value = randomBytes(8).toString('hex');
      const answer = await call(node, 'PUT', `secret/data/${key}`, { token, body: { data: { value } } }).catch(() => undefined);
      if (answer?.status === 200) acknowledged.set(key, value);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();

  await eventually('20 writes are acknowledged', async () => acknowledged.size >= 20, 10_000);
  const killedAt = Date.now();
  await killAndWait(active.process);
  // Until the dead node's lock expires, a standby cannot forward to it and falls back to a redirect.
  const fallback = await call(standbys[0], 'GET', 'secret/data/forwarded', { token });
  assert.equal(fallback.status, 307);
  assert.equal(fallback.headers.get('location'), `${active.address}/v1/secret/data/forwarded`);
  const newActive = await waitForActive(standbys, LOCK_TTL_MS + TAKEOVER_MARGIN_MS);
  const takeoverMs = Date.now() - killedAt;
  assert.ok(takeoverMs <= LOCK_TTL_MS + TAKEOVER_MARGIN_MS, `takeover took ${takeoverMs} ms`);
  const countAtTakeover = acknowledged.size;
  await eventually('20 more writes are acknowledged after the take-over', async () => acknowledged.size >= countAtTakeover + 20, 10_000);
  stopWriting = true;
  await writer;

  for (const [key, value] of acknowledged) {
    const read = await call(newActive, 'GET', `secret/data/${key}`, { token });
    assert.equal(read.status, 200, `acknowledged write ${key} is missing`);
    assert.equal(((read.body!.data as Record<string, unknown>).data as Record<string, unknown>).value, value, `acknowledged write ${key} changed`);
  }

  // `coffer operator step-down` through the standby: forwarded to the active node, which hands over to the last node.
  const lastStandby = standbys.find((node) => node !== newActive)!;
  const stepDown = await runCli(['operator', 'step-down'], lastStandby.address, token);
  assert.deepEqual(stepDown, { code: 0, stdout: `Success! Stepped down: ${lastStandby.address}\n`, stderr: '' });
  await eventually('leadership moves to the last standby', async () => (await healthCode(lastStandby)) === 200, 5_000);
  assert.equal(await healthCode(newActive), 429);
  const leader = await call(newActive, 'GET', 'sys/leader');
  assert.equal(leader.body?.leader_address, lastStandby.address);
  assert.equal(leader.body?.is_self, false);
  const afterStepDown = await call(newActive, 'GET', `secret/data/${[...acknowledged.keys()][0]}`, { token });
  assert.equal(afterStepDown.status, 200, 'a read forwarded after the step-down');
  return { acknowledged: acknowledged.size, takeoverMs };
}

/** Checks sys/health, sys/leader, forwarding and redirection on a standby. */
async function checkStandby(standby: ClusterNode, active: ClusterNode, others: ClusterNode[], token: string): Promise<void> {
  const health = await call(standby, 'GET', 'sys/health');
  assert.equal(health.status, 429);
  assert.equal(health.body?.standby, true);
  assert.equal(health.body?.sealed, false);
  assert.equal((await call(standby, 'GET', 'sys/health?standbyok=true')).status, 200);
  assert.equal((await call(standby, 'GET', 'sys/health?standbycode=299')).status, 299);
  assert.equal((await call(active, 'GET', 'sys/health')).body?.standby, false);

  const leader = await call(standby, 'GET', 'sys/leader');
  assert.equal(leader.status, 200);
  assert.equal(leader.body?.ha_enabled, true);
  assert.equal(leader.body?.is_self, false);
  assert.equal(leader.body?.leader_address, active.address);
  assert.equal(leader.body?.leader_cluster_address, active.clusterAddress);
  assert.notEqual(leader.body?.active_time, '0001-01-01T00:00:00Z');
  const own = await call(active, 'GET', 'sys/leader');
  assert.equal(own.body?.is_self, true);
  assert.equal(own.body?.active_time, leader.body?.active_time);

  const forwarded = await call(standby, 'PUT', 'secret/data/forwarded', { token, body: { data: { via: 'standby' } } });
  assert.equal(forwarded.status, 200, JSON.stringify(forwarded.body));
  const read = await call(active, 'GET', 'secret/data/forwarded', { token });
  assert.deepEqual((read.body!.data as Record<string, unknown>).data, { via: 'standby' });

  const redirected = await call(standby, 'GET', 'secret/data/forwarded?version=1', { token, headers: { 'X-Vault-No-Request-Forwarding': 'true' } });
  assert.equal(redirected.status, 307);
  assert.equal(redirected.headers.get('location'), `${active.address}/v1/secret/data/forwarded?version=1`);

  const status = await call(standby, 'GET', 'sys/ha-status', { token });
  assert.equal(status.status, 200, JSON.stringify(status.body));
  const nodes = status.body!.Nodes as Array<Record<string, unknown>>;
  assert.deepEqual(
    nodes.map((node) => [node.api_address, node.active_node, node.last_echo === null]),
    [[active.address, true, true], ...others.map((node) => [node.address, false, false])],
  );
  assert.equal(nodes[0].cluster_address, active.clusterAddress);

  const sealStatus = await call(standby, 'GET', 'sys/seal-status');
  assert.equal(sealStatus.body?.sealed, false);
  assert.notEqual(sealStatus.body?.cluster_id, '');
  assert.equal(sealStatus.body?.cluster_id, (await call(active, 'GET', 'sys/seal-status')).body?.cluster_id);

  const denied = await call(standby, 'GET', 'secret/data/forwarded', { token: 'not-a-token' });
  assert.equal(denied.status, 403, 'the active node decides, and its answer is relayed');
  assert.deepEqual(denied.body, { errors: ['permission denied'] });
}

describe('ha cluster', { concurrency: false }, () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('postgresql failover keeps acknowledged writes', async (t) => {
    const database: ThrowawayDatabase = await createThrowawayDatabase();
    cleanups.push(() => database.drop());
    const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
    const cluster = await prepareCluster(
      3,
      `storage "postgresql" {\n  connection_url = "${database.url}"\n  table = "kv_${suffix}"\n  ha_enabled = "true"\n  ha_table = "locks_${suffix}"\n  ha_lock_ttl = "${LOCK_TTL_MS / 1000}s"\n}`,
    );
    cleanups.push(() => cluster.close());
    const result = await runFailoverScenario(cluster);
    t.diagnostic(`${result.acknowledged} acknowledged writes survived; take-over in ${result.takeoverMs} ms`);
  });

  test('mysql failover keeps acknowledged writes', async (t) => {
    const database = throwawayDatabaseName();
    cleanups.push(() => dropDatabase(database));
    const settings = { ...testSettings(database), ha_enabled: 'true', ha_lock_ttl: `${LOCK_TTL_MS / 1000}s` };
    const stanza = Object.entries(settings)
      .map(([name, value]) => `  ${name} = ${JSON.stringify(value)}`)
      .join('\n');
    const cluster = await prepareCluster(3, `storage "mysql" {\n${stanza}\n}`);
    cleanups.push(() => cluster.close());
    const result = await runFailoverScenario(cluster);
    t.diagnostic(`${result.acknowledged} acknowledged writes survived; take-over in ${result.takeoverMs} ms`);
  });

  const etcdMissing = etcdUnavailableReason();
  test('etcd failover keeps acknowledged writes', { skip: process.env.CI ? false : (etcdMissing ?? false) }, async (t) => {
    const etcd: TestEtcd = await startTestEtcd();
    cleanups.push(() => etcd.stop());
    const cluster = await prepareCluster(
      3,
      `storage "etcd" {\n  address = "${etcd.address}"\n  path = "/coffer-ha-${process.pid}/"\n  ha_enabled = "true"\n  session_ttl = "${LOCK_TTL_MS / 1000}s"\n}`,
    );
    cleanups.push(() => cluster.close());
    const result = await runFailoverScenario(cluster);
    t.diagnostic(`${result.acknowledged} acknowledged writes survived; take-over in ${result.takeoverMs} ms`);
  });
});
