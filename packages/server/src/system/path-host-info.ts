/**
 * sys/host-info: CPU, CPU times, disk usage, host and memory facts of the
 * machine this node runs on, as Vault's endpoint returns them.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { cpuInfo, cpuTimes, diskUsage, hostStat, memoryStat } from './host-info.js';

export function hostInfoPaths(): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'host-info',
      fields: {},
      operations: {
        async read() {
          const now = Date.now();
          const [cpu, times, disk, host, memory] = await Promise.all([cpuInfo(), cpuTimes(), diskUsage(), hostStat(now), memoryStat()]);
          return { data: { cpu, cpu_times: times, disk, host, memory, timestamp: new Date(now).toISOString() } };
        },
      },
      helpSynopsis: 'Report facts about the host this node runs on.',
      helpDescription: 'Returns cpu, cpu_times, disk, host, memory and timestamp, with gopsutil field names as Vault returns them.',
    }),
  ];
}
