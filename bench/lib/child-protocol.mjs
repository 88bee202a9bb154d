/**
 * The IPC protocol between the runner and the servers it forks.
 *
 * A child sends `{ type: 'ready', ...info }` once it serves. The runner may
 * send `{ type: 'stop' }` and `{ type: 'cpu-usage' }`. The child replies to
 * the latter with `{ type: 'cpu-usage', usage }`, where `usage` is
 * `process.cpuUsage()`: microseconds of CPU time of all its threads. The child also stops
 * when the IPC channel closes, which happens when the runner exits or dies,
 * so no server outlives a run.
 */

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
    if (message?.type === 'cpu-usage') process.send({ type: 'cpu-usage', usage: process.cpuUsage() });
    if (message?.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  process.send({ type: 'ready', ...info });
}
