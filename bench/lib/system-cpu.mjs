/**
 * Machine-wide CPU time from Linux's /proc/stat, to tell how much CPU other
 * processes took during a scenario. Other work on the machine slows both
 * the servers and the load generator, so a run with much of it is noisy.
 */
import { readFileSync } from 'node:fs';

/**
 * Returns the busy and total CPU time of all CPUs in clock ticks, or null
 * where /proc/stat is missing (any system but Linux).
 *
 * @returns {{ busy: number, total: number } | null}
 */
export function readSystemCpu() {
  let text;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice";
  // guest time is already part of user time, so it is left out.
  const fields = text.split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/**
 * Returns how many CPUs were busy on average between two readings, or
 * null when either reading is missing.
 */
export function busyCpus(before, after, cpuCount) {
  if (before === null || after === null || after.total === before.total) return null;
  return ((after.busy - before.busy) / (after.total - before.total)) * cpuCount;
}
