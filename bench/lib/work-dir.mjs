/**
 * The temporary folder of one benchmark run, removed with the run's child
 * processes when the run ends, fails, or receives SIGINT or SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopAllChildren } from './children.mjs';

/**
 * Makes a temporary folder named after `prefix`, runs `task` with its path,
 * then stops every child and removes the folder. A signal during the run
 * does the same and exits with status 130.
 *
 * @template T
 * @param {string} prefix e.g. "coffer-bench-transit-"
 * @param {(workDir: string) => Promise<T>} task
 * @returns {Promise<T>}
 */
export async function withWorkDir(prefix, task) {
  const workDir = await mkdtemp(join(tmpdir(), prefix));
  const onSignal = async (signal) => {
    console.error(`bench: ${signal} received, stopping the children`);
    await cleanUp(workDir);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await task(workDir);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanUp(workDir);
  }
}

async function cleanUp(workDir) {
  await stopAllChildren();
  await rm(workDir, { recursive: true, force: true });
}
