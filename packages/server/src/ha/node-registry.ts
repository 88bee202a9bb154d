/**
 * The standbys' heartbeats, for `sys/ha-status`. Each standby writes an
 * entry under `core/ha-nodes/` behind the barrier every few seconds, keyed
 * by a hash of its `api_addr` so a restarted node reuses its entry. The
 * active node lists the entries whose heartbeat is recent.
 *
 * These heartbeats are the only writes a standby makes. No cache contains
 * them, so they cannot go stale on the active node.
 */
import { createHash } from 'node:crypto';
import type { Logger, StorageEntry } from '@coffer/sdk';
import type { Barrier } from '../barrier/barrier.js';

export const NODES_PREFIX = 'core/ha-nodes/';

/** How often a standby records its heartbeat, in milliseconds. */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/** A heartbeat older than this means the standby is gone: three missed heartbeats. */
export const HEARTBEAT_MAX_AGE_MS = 3 * HEARTBEAT_INTERVAL_MS;

/** One node as `sys/ha-status` reports it, in Vault's field names. */
export interface NodeRecord {
  hostname: string;
  api_address: string;
  cluster_address: string;
  active_node: boolean;
  /** RFC 3339 time of the last heartbeat; `null` for the active node. */
  last_echo: string | null;
  version: string;
}

export async function recordHeartbeat(barrier: Barrier, node: NodeRecord): Promise<void> {
  const key = NODES_PREFIX + createHash('sha256').update(node.api_address).digest('hex').slice(0, 32);
  await barrier.put({ key, value: Buffer.from(JSON.stringify(node)) });
}

/**
 * Lists the standbys whose heartbeat is at most {@link HEARTBEAT_MAX_AGE_MS} old, skipping `except` (the caller's own address).
 * A heartbeat that cannot be read, such as one written under the keys a forced snapshot restore replaced, is logged and skipped.
 */
export async function listStandbys(barrier: Barrier, except: string, now = Date.now(), logger?: Logger): Promise<NodeRecord[]> {
  const standbys: NodeRecord[] = [];
  for (const name of await barrier.list(NODES_PREFIX)) {
    let entry: StorageEntry | null;
    try {
      entry = await barrier.get(NODES_PREFIX + name);
    } catch (err) {
      logger?.warn({ err, key: NODES_PREFIX + name }, 'ha heartbeat unreadable; skipping it');
      continue;
    }
    if (entry === null) continue;
    const node = JSON.parse(entry.value.toString('utf8')) as NodeRecord;
    const age = now - Date.parse(node.last_echo ?? '');
    if (node.api_address === except || !(age <= HEARTBEAT_MAX_AGE_MS)) continue;
    standbys.push({ ...node, active_node: false });
  }
  return standbys.sort((a, b) => a.api_address.localeCompare(b.api_address));
}
