import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { InmemStorage } from '@coffer/storage-inmem';
import { Barrier } from '../barrier/barrier.js';
import { HEARTBEAT_MAX_AGE_MS, listStandbys, NODES_PREFIX, recordHeartbeat, type NodeRecord } from './node-registry.js';

async function unsealedBarrier(): Promise<{ barrier: Barrier; physical: InmemStorage }> {
  const physical = new InmemStorage();
  const barrier = new Barrier(physical);
  const rootKey = randomBytes(32);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  return { barrier, physical };
}

function node(address: string, lastEcho: Date): NodeRecord {
  return {
    hostname: 'host',
    api_address: address,
    cluster_address: '',
    active_node: false,
    last_echo: lastEcho.toISOString(),
    version: '0.1.0',
  };
}

test('listStandbys keeps recent heartbeats', async () => {
  const { barrier } = await unsealedBarrier();
  const now = Date.now();
  await recordHeartbeat(barrier, node('http://c:8200', new Date(now - 1_000)));
  await recordHeartbeat(barrier, node('http://b:8200', new Date(now - 2_000)));
  await recordHeartbeat(barrier, node('http://stale:8200', new Date(now - HEARTBEAT_MAX_AGE_MS - 1)));
  await recordHeartbeat(barrier, node('http://self:8200', new Date(now)));

  const listed = await listStandbys(barrier, 'http://self:8200', now);
  assert.deepEqual(
    listed.map((entry) => entry.api_address),
    ['http://b:8200', 'http://c:8200'],
  );
  assert.equal(listed[0].active_node, false);
});

test('heartbeat reuses one entry per address', async () => {
  const { barrier, physical } = await unsealedBarrier();
  await recordHeartbeat(barrier, node('http://b:8200', new Date(Date.now() - 3_000)));
  await recordHeartbeat(barrier, node('http://b:8200', new Date()));
  assert.equal((await physical.list(NODES_PREFIX)).length, 1);
  const [entry] = await listStandbys(barrier, '');
  assert.ok(Date.now() - Date.parse(entry.last_echo!) < 1_000, 'the later heartbeat replaced the earlier one');
});

test('heartbeats are encrypted at rest', async () => {
  const { barrier, physical } = await unsealedBarrier();
  await recordHeartbeat(barrier, node('http://b:8200', new Date()));
  const [name] = await physical.list(NODES_PREFIX);
  const stored = await physical.get(NODES_PREFIX + name);
  assert.equal(stored?.value.includes(Buffer.from('http://b:8200')), false);
});

test('listStandbys skips unreadable heartbeats', async () => {
  const { barrier, physical } = await unsealedBarrier();
  // A heartbeat written under other keys, as by a standby that still held the keys of a cluster before a forced restore.
  const other = await unsealedBarrier();
  await recordHeartbeat(other.barrier, node('http://old:8200', new Date()));
  const [name] = await other.physical.list(NODES_PREFIX);
  await physical.put({ key: NODES_PREFIX + name, value: (await other.physical.get(NODES_PREFIX + name))!.value });
  await recordHeartbeat(barrier, node('http://b:8200', new Date()));

  const listed = await listStandbys(barrier, '');
  assert.deepEqual(
    listed.map((entry) => entry.api_address),
    ['http://b:8200'],
  );
});
