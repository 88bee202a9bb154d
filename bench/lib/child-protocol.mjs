/**
 * The IPC protocol between the runner and the servers it forks.
 *
 * A child sends `{ type: 'ready', ...info }` once it serves. The runner may
 * send `{ type: 'stop' }` and `{ type: 'cpu-usage' }`. The child replies to
 * the latter with `{ type: 'cpu-usage', usage, mainThreadUs }`, where `usage`
 * is `process.cpuUsage()`: microseconds of CPU time of all its threads, and
 * `mainThreadUs` the CPU time of its main thread alone (Linux only, else
 * `null`). The child also stops
 * when the IPC channel closes, which happens when the runner exits or dies,
 * so no server outlives a run.
 */
import { readFileSync } from 'node:fs';

/** Linux counts thread CPU time in ticks of 1/100 s (USER_HZ). */
const MICROSECONDS_PER_TICK = 10_000;

/**
 * Returns the user and system CPU time of the main thread, whose thread ID
 * is the process ID, in microseconds; `null` where /proc is missing.
 */
function mainThreadCpuUs() {
  let stat;
  try {
    stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the command name, which ends with the last ')': utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * MICROSECONDS_PER_TICK;
}

/**
 * Announces `info` to the parent and stops the child on request.
 *
 * @param {Record<string, unknown>} info sent with the ready message
 * @param {() => Promise<void>} close releases the child's resources before exit
 */
export function serveChild(info, close) {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await close();
    } catch (err) {
      console.error('bench child: close failed', err);
      process.exitCode = 1;
    }
    // An explicit exit lets `--cpu-prof` write its profile.
    process.exit();
  };

  process.on('message', (message) => {
    if (message?.type === 'cpu-usage') process.send({ type: 'cpu-usage', usage: process.cpuUsage(), mainThreadUs: mainThreadCpuUs() });
    if (message?.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  process.send({ type: 'ready', ...info });
}
