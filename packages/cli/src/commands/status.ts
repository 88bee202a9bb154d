// `coffer status` and the seal status output that `operator unseal` shares.
import type { CofferClient } from '../client.js';
import { ConnectionError, ResponseError } from '../client.js';
import type { Command } from '../command.js';
import { expectArguments, formatFlag, httpFlags } from '../command.js';
import type { UI } from '../io.js';
import { columnize, structuredText, table } from '../output.js';

/** Body of `sys/seal-status` and `sys/unseal`. */
export interface SealStatus {
  type: string;
  initialized: boolean;
  sealed: boolean;
  t: number;
  n: number;
  progress: number;
  nonce: string;
  version: string;
  build_date?: string;
  migration: boolean;
  cluster_name?: string;
  cluster_id?: string;
  recovery_seal: boolean;
  storage_type?: string;
  [extra: string]: unknown;
}

/** Body of `sys/leader`. */
interface LeaderStatus {
  ha_enabled: boolean;
  is_self?: boolean;
  active_time?: string;
  leader_address?: string;
  leader_cluster_address?: string;
}

/** Reads the leader status, treating "sealed" as HA without a known leader, as Vault's CLI does. */
async function readLeader(client: CofferClient): Promise<LeaderStatus> {
  try {
    const response = await client.request('GET', 'sys/leader');
    return (response.body ?? { ha_enabled: false }) as LeaderStatus;
  } catch (error) {
    if (error instanceof ResponseError && error.errors.some((message) => /is sealed/i.test(message))) {
      return { ha_enabled: true };
    }
    throw error;
  }
}

function sealStatusRows(status: SealStatus, leader: LeaderStatus): string[][] {
  const rows: string[][] = [
    ['Seal Type', status.type],
    ['Initialized', String(status.initialized)],
    ['Sealed', String(status.sealed)],
    ['Total Shares', String(status.n)],
    ['Threshold', String(status.t)],
  ];
  if (status.sealed) {
    rows.push(['Unseal Progress', `${status.progress}/${status.t}`]);
    rows.push(['Unseal Nonce', status.nonce ?? '']);
  }
  if (status.migration) rows.push(['Seal Migration in Progress', 'true']);
  if (status.version) rows.push(['Version', status.version]);
  if (status.build_date) rows.push(['Build Date', status.build_date]);
  if (status.storage_type) rows.push(['Storage Type', status.storage_type]);
  if (status.cluster_name && status.cluster_id) {
    rows.push(['Cluster Name', status.cluster_name]);
    rows.push(['Cluster ID', status.cluster_id]);
  }
  rows.push(['HA Enabled', String(leader.ha_enabled)]);
  if (leader.ha_enabled && !status.sealed) {
    rows.push(['HA Cluster', leader.leader_cluster_address ?? '']);
    rows.push(['HA Mode', leader.is_self ? 'active' : 'standby']);
    if (leader.is_self && leader.active_time && !leader.active_time.startsWith('0001-')) {
      rows.push(['Active Since', leader.active_time]);
    }
    if (!leader.is_self && leader.leader_address) rows.push(['Active Node Address', leader.leader_address]);
  }
  return rows;
}

/**
 * Prints a seal status with the leader fields added, as a table or as JSON.
 * Returns 0, or 2 when the leader status could not be read.
 */
export async function outputSealStatus(ui: UI, client: CofferClient, status: SealStatus): Promise<number> {
  let leader: LeaderStatus;
  try {
    leader = await readLeader(client);
  } catch (error) {
    if (error instanceof ResponseError || error instanceof ConnectionError) {
      ui.error(`Error checking leader status: ${error.message}`);
      return 2;
    }
    throw error;
  }

  if (ui.format !== 'table') {
    const combined: Record<string, unknown> = { ...status, ha_enabled: leader.ha_enabled };
    if (leader.is_self) combined.is_self = true;
    if (leader.leader_address) combined.leader_address = leader.leader_address;
    if (leader.leader_cluster_address) combined.leader_cluster_address = leader.leader_cluster_address;
    ui.output(structuredText(ui, combined, true));
    return 0;
  }
  ui.output(table(['Key', 'Value'], sealStatusRows(status, leader)));
  return 0;
}

/** Formats a key status (`sys/key-status`) as the three rows Vault's CLI prints, with no header. */
export function keyStatusText(status: { term: number; install_time: string; encryptions?: number }): string {
  const rows = [
    ['Key Term', String(status.term)],
    ['Install Time', formatRfc822(status.install_time)],
  ];
  if (status.encryptions !== undefined) rows.push(['Encryption Count', String(status.encryptions)]);
  return columnize(rows);
}

const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Formats a timestamp in UTC as Go's RFC822 layout does: "02 Jan 06 15:04 UTC". */
export function formatRfc822(timestamp: string): string {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return timestamp;
  const pad = (value: number): string => String(value).padStart(2, '0');
  const year = pad(date.getUTCFullYear() % 100);
  return `${pad(date.getUTCDate())} ${monthNames[date.getUTCMonth()]} ${year} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

export const statusCommand: Command = {
  name: 'status',
  synopsis: 'Print seal and HA status',
  help: `
Usage: coffer status [options]

  Prints the seal status of the server and whether it is initialized. The exit
  code is 0 when the server is unsealed, 2 when it is sealed, and 1 when the
  status could not be read.

      $ coffer status`,
  flags: [...httpFlags, formatFlag],
  async run({ ui, args, client }) {
    expectArguments(args, 0);
    const api = await client();
    let status: SealStatus;
    try {
      status = (await api.request('GET', 'sys/seal-status')).body as SealStatus;
    } catch (error) {
      if (error instanceof ResponseError || error instanceof ConnectionError) {
        ui.error(`Error checking seal status: ${error.message}`);
        return 1;
      }
      throw error;
    }

    const code = await outputSealStatus(ui, api, status);
    if (code !== 0) return 1;
    return status.sealed ? 2 : 0;
  },
};
