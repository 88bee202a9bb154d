/**
 * The HA endpoints of the system backend: `sys/step-down`, and the body of
 * `sys/leader`, which the seal backend serves without a token.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { sealedError } from '../barrier/barrier.js';
import type { Core } from '../core.js';
import { rawJson } from '../http/envelope.js';
import { COFFER_VERSION } from '../version.js';
import type { HaNode } from './ha-node.js';
import { listStandbys } from './node-registry.js';

/** The zero time Vault reports as `active_time` when it has none. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Builds the `sys/leader` body of a node with HA enabled.
 * @throws CofferError (503) while sealed, since a sealed node cannot read the advertisement.
 */
export async function haLeaderStatus(ha: HaNode, sealed: boolean): Promise<Record<string, unknown>> {
  if (sealed) throw sealedError();
  const leader = await ha.leader();
  return {
    ha_enabled: true,
    is_self: leader.isSelf,
    active_time: leader.activeTime?.toISOString() ?? ZERO_TIME,
    leader_address: leader.address,
    leader_cluster_address: leader.clusterAddress,
    performance_standby: false,
    performance_standby_last_remote_wal: 0,
  };
}

export function haPaths(core: Core): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'step-down',
      fields: {},
      operations: {
        // Only the active node serves this; a standby forwards it there.
        async update() {
          core.ha?.stepDown();
          return null;
        },
      },
      helpSynopsis: 'Make the active node give up leadership.',
      helpDescription:
        'The active node releases the HA lock once its requests in progress finish, and waits before contending again, so a standby takes over. Without HA it does nothing.',
    }),
    definePath({
      pattern: 'ha-status',
      fields: {},
      operations: {
        async read() {
          const ha = core.ha;
          // NOTE: without HA there is no cluster to list; Coffer returns an empty list.
          if (ha === undefined) return rawJson({ Nodes: [] });
          const self = {
            hostname: ha.hostname,
            api_address: ha.address,
            cluster_address: ha.clusterAddress,
            active_node: true,
            last_echo: null,
            version: COFFER_VERSION,
          };
          // Vault sends this body without the response envelope, under a capitalized "Nodes".
          return rawJson({ Nodes: [self, ...(await listStandbys(core.barrier, ha.address, Date.now(), core.logger))] });
        },
      },
      helpSynopsis: 'List the nodes of the HA cluster.',
      helpDescription: 'Served by the active node: itself, then each standby whose heartbeat arrived within the last 15 seconds.',
    }),
  ];
}
