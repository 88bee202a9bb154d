/**
 * Host facts for sys/host-info, named and shaped as the gopsutil structures
 * that Vault returns (cpu.InfoStat, cpu.TimesStat, disk.UsageStat,
 * host.InfoStat, mem.VirtualMemoryStat). Node's os module gives what it can,
 * and Linux's /proc, /etc and /sys give the rest. On other systems the
 * fields that come from those files are zero or empty.
 */
import { cpus, hostname, machine, platform, release, uptime } from 'node:os';
import { readdir, readFile, statfs } from 'node:fs/promises';

/**
 * Clock ticks per second of /proc/stat. It is USER_HZ, which is 100 on
 * every mainstream Linux build. Node cannot read sysconf(_SC_CLK_TCK), so this is an assumption.
 */
const CLOCK_TICKS_PER_SECOND = 100;

/** Reads a text file, or returns '' when it is missing or unreadable. */
async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Returns one entry per logical CPU, from os.cpus() and /proc/cpuinfo. */
export async function cpuInfo(): Promise<Record<string, unknown>[]> {
  const blocks = (await readText('/proc/cpuinfo')).split(/\n\s*\n/).filter((block) => block.trim() !== '');
  const parsed = blocks.map((block) => {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    return fields;
  });
  return cpus().map((cpu, index) => {
    const fields = parsed[index] ?? new Map<string, string>();
    return {
      cpu: index,
      vendorId: fields.get('vendor_id') ?? '',
      family: fields.get('cpu family') ?? '',
      model: fields.get('model') ?? '',
      stepping: Number(fields.get('stepping') ?? 0) || 0,
      physicalId: fields.get('physical id') ?? '',
      coreId: fields.get('core id') ?? '',
      cores: Number(fields.get('cpu cores') ?? 1) || 1,
      modelName: fields.get('model name') ?? cpu.model,
      mhz: Number(fields.get('cpu MHz') ?? 0) || cpu.speed,
      cacheSize: Number.parseInt(fields.get('cache size') ?? '0', 10) || 0,
      flags: (fields.get('flags') ?? '').split(' ').filter((flag) => flag !== ''),
      microcode: fields.get('microcode') ?? '',
    };
  });
}

/** Returns the CPU times of all CPUs together, in seconds, as Vault's one-entry list. */
export async function cpuTimes(): Promise<Record<string, unknown>[]> {
  const line = (await readText('/proc/stat')).split('\n').find((text) => text.startsWith('cpu '));
  if (line === undefined) {
    // Without /proc/stat, sum what os.cpus() reports in milliseconds, converted to ticks.
    const sum = { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 };
    for (const cpu of cpus()) {
      for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += cpu.times[key];
    }
    const ticks = [sum.user, sum.nice, sum.sys, sum.idle, 0, sum.irq].map((milliseconds) => (milliseconds * CLOCK_TICKS_PER_SECOND) / 1000);
    return [timesStat(ticks)];
  }
  return [timesStat(line.trim().split(/\s+/).slice(1).map(Number))];
}

function timesStat(ticks: number[]): Record<string, unknown> {
  const seconds = (index: number): number => round2((ticks[index] ?? 0) / CLOCK_TICKS_PER_SECOND);
  return {
    cpu: 'cpu-total',
    user: seconds(0),
    nice: seconds(1),
    system: seconds(2),
    idle: seconds(3),
    iowait: seconds(4),
    irq: seconds(5),
    softirq: seconds(6),
    steal: seconds(7),
    guest: seconds(8),
    guestNice: seconds(9),
  };
}

/** Returns the usage of each mounted block device file system, as gopsutil's disk.Usage of each physical partition. */
export async function diskUsage(): Promise<Record<string, unknown>[]> {
  const mounts = (await readText('/proc/mounts'))
    .split('\n')
    .map((line) => line.split(' '))
    .filter((parts) => parts.length >= 3 && parts[0].startsWith('/dev/'));
  const seen = new Set<string>();
  const usages: Record<string, unknown>[] = [];
  for (const [, encodedPath, fstype] of mounts) {
    // /proc/mounts escapes spaces and a few other characters as octal.
    const path = encodedPath.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
    if (seen.has(path)) continue;
    seen.add(path);
    try {
      const stats = await statfs(path);
      const total = stats.blocks * stats.bsize;
      const free = stats.bavail * stats.bsize;
      const used = (stats.blocks - stats.bfree) * stats.bsize;
      const inodesUsed = stats.files - stats.ffree;
      usages.push({
        path,
        fstype,
        total,
        free,
        used,
        usedPercent: used + free === 0 ? 0 : (used / (used + free)) * 100,
        inodesTotal: stats.files,
        inodesUsed,
        inodesFree: stats.ffree,
        inodesUsedPercent: stats.files === 0 ? 0 : (inodesUsed / stats.files) * 100,
      });
    } catch {
      // A mount the server may not stat, such as another user's, is left out.
    }
  }
  return usages;
}

/** Returns the host's identity and uptime, as gopsutil's host.InfoStat. */
export async function hostStat(now: number): Promise<Record<string, unknown>> {
  const osRelease = parseOsRelease(await readText('/etc/os-release'));
  const seconds = Math.floor(uptime());
  let procs = 0;
  try {
    procs = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).length;
  } catch {
    procs = 0;
  }
  const hostId = (await readText('/sys/class/dmi/id/product_uuid')).trim() || (await readText('/etc/machine-id')).trim();
  return {
    hostname: hostname(),
    uptime: seconds,
    bootTime: Math.floor(now / 1000) - seconds,
    procs,
    os: platform(),
    platform: osRelease.get('ID') ?? '',
    platformFamily: osRelease.get('ID_LIKE')?.split(' ')[0] ?? osRelease.get('ID') ?? '',
    platformVersion: osRelease.get('VERSION_ID') ?? '',
    kernelVersion: release(),
    kernelArch: machine(),
    virtualizationSystem: '',
    virtualizationRole: '',
    hostId,
  };
}

function parseOsRelease(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match !== null) values.set(match[1], match[2].replace(/^"(.*)"$/, '$1'));
  }
  return values;
}

/** The /proc/meminfo key of each memory field. Values in kB become bytes, and the huge page counts stay counts. */
const MEMINFO_FIELDS: Record<string, string> = {
  total: 'MemTotal',
  available: 'MemAvailable',
  free: 'MemFree',
  active: 'Active',
  inactive: 'Inactive',
  buffers: 'Buffers',
  cached: 'Cached',
  writeBack: 'Writeback',
  dirty: 'Dirty',
  writeBackTmp: 'WritebackTmp',
  shared: 'Shmem',
  slab: 'Slab',
  sreclaimable: 'SReclaimable',
  sunreclaim: 'SUnreclaim',
  pageTables: 'PageTables',
  swapCached: 'SwapCached',
  commitLimit: 'CommitLimit',
  committedAS: 'Committed_AS',
  highTotal: 'HighTotal',
  highFree: 'HighFree',
  lowTotal: 'LowTotal',
  lowFree: 'LowFree',
  swapTotal: 'SwapTotal',
  swapFree: 'SwapFree',
  mapped: 'Mapped',
  vmallocTotal: 'VmallocTotal',
  vmallocUsed: 'VmallocUsed',
  vmallocChunk: 'VmallocChunk',
  hugePagesTotal: 'HugePages_Total',
  hugePagesFree: 'HugePages_Free',
  hugePageSize: 'Hugepagesize',
};

/** Returns memory statistics in bytes from /proc/meminfo, as gopsutil's mem.VirtualMemoryStat. */
export async function memoryStat(): Promise<Record<string, unknown>> {
  const info = new Map<string, number>();
  for (const line of (await readText('/proc/meminfo')).split('\n')) {
    const match = /^([\w()]+):\s+(\d+)(\s+kB)?/.exec(line);
    if (match !== null) info.set(match[1], Number(match[2]) * (match[3] === undefined ? 1 : 1024));
  }
  const stat: Record<string, number> = {};
  for (const [field, key] of Object.entries(MEMINFO_FIELDS)) stat[field] = info.get(key) ?? 0;
  // gopsutil counts reclaimable slab as cache, and "used" as what is neither free, buffers nor cache.
  const cached = stat.cached + stat.sreclaimable;
  stat.cached = cached;
  stat.used = Math.max(0, stat.total - stat.free - stat.buffers - cached);
  stat.usedPercent = stat.total === 0 ? 0 : (stat.used / stat.total) * 100;
  stat.wired = 0;
  stat.laundry = 0;
  return stat;
}
