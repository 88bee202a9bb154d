/**
 * The parent side of the storage crash case: start a child that writes,
 * kill it with SIGKILL in the middle of its writes, and check what the
 * reopened storage holds against what the child had acknowledged.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Storage } from '@coffer/sdk';
import {
  CRASH_KEY_COUNT,
  crashKeys,
  firstSeqForIndex,
  isCrashDelete,
  parseCrashValue,
  type CrashChildConfig,
} from './crash-protocol.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./crash-child.js', import.meta.url));

/** The child must be ready and reach its acknowledgements within this many milliseconds. */
const CHILD_DEADLINE_MS = 30_000;

/** What one run of the child left behind. */
export interface CrashRun {
  /** The highest acknowledged sequence number of each key index. */
  acknowledged: Map<number, number>;
  /** How many acknowledgements the parent read before the child died. */
  count: number;
}

/**
 * Runs the child until it has reported `killAfter` acknowledgements, kills
 * it with SIGKILL and collects every acknowledgement it printed before it died.
 */
export function runCrashChild(config: CrashChildConfig, killAfter: number): Promise<CrashRun> {
  const child = spawn(process.execPath, [CHILD_SCRIPT, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acknowledged = new Map<number, number>();
  let count = 0;
  let killed = false;
  let pending = '';
  let stderr = '';

  return new Promise<CrashRun>((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`crash child reported ${count} of ${killAfter} acknowledgements within ${CHILD_DEADLINE_MS} ms; stderr: ${stderr}`));
    }, CHILD_DEADLINE_MS);

    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      // The last piece is an unfinished line, or '' after a newline.
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('ack ')) continue;
        const seq = Number(line.slice(4));
        const index = seq % CRASH_KEY_COUNT;
        acknowledged.set(index, Math.max(seq, acknowledged.get(index) ?? -1));
        count++;
      }
      if (!killed && count >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      if (killed && signal === 'SIGKILL') {
        resolve({ acknowledged, count });
        return;
      }
      reject(new Error(`crash child ended before it was killed (code ${code}, signal ${signal}); stderr: ${stderr}`));
    });
  });
}

/**
 * Walks the whole storage with `list` from the root and returns every key it
 * finds. Fails when a listed folder turns out to hold nothing, since `list`
 * must only name folders that have a key below them.
 */
export async function listAllKeys(storage: Storage, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  const children = await storage.list(prefix);
  for (const child of children) {
    if (!child.endsWith('/')) {
      keys.push(prefix + child);
      continue;
    }
    const below = await listAllKeys(storage, prefix + child);
    assert.notEqual(below.length, 0, `list("${prefix}") names folder "${child}", but nothing is stored below it`);
    keys.push(...below);
  }
  return keys;
}

/**
 * Checks the reopened storage after a crash and returns what each key index
 * now holds (a sequence number, or `null` for nothing), for the next round
 * to build on.
 *
 * @param known - what each key index held before this round
 * @param run - the acknowledgements of this round's child
 * @param firstSeq - the first sequence number of this round
 */
export async function checkAfterCrash(
  storage: Storage,
  known: ReadonlyArray<number | null>,
  run: CrashRun,
  firstSeq: number,
): Promise<Array<number | null>> {
  const keys = crashKeys();
  const held: Array<number | null> = [];

  for (let index = 0; index < CRASH_KEY_COUNT; index++) {
    const key = keys[index];
    const acked = run.acknowledged.get(index);
    // Writes to a key are chained, so besides the last acknowledged write
    // (or the state from before this round) only the next one can have landed.
    const settled = acked === undefined ? known[index] : stateAfter(acked);
    const next = acked === undefined ? firstSeqForIndex(index, firstSeq) : acked + CRASH_KEY_COUNT;
    const allowed = [settled, stateAfter(next)];

    const entry = await storage.get(key);
    let found: number | null = null;
    if (entry !== null) {
      assert.equal(entry.key, key, `get("${key}") returned an entry for key "${entry.key}"`);
      found = parseCrashValue(entry.value);
      assert.notEqual(found, null, `key "${key}" holds a torn or foreign value of ${entry.value.length} bytes after the crash`);
    }
    assert.ok(
      allowed.includes(found),
      `key "${key}" holds ${describeState(found)} after the crash; it must hold ${describeState(settled)} ` +
        `(${acked === undefined ? 'as before this round' : 'acknowledged'}) or ${describeState(stateAfter(next))} (the write in flight)`,
    );
    held.push(found);
  }

  const listed = (await listAllKeys(storage)).sort();
  const present = keys.filter((_, index) => held[index] !== null).sort();
  assert.deepEqual(listed, present, 'after the crash, the keys that list reports differ from the keys that get finds');
  return held;
}

/** What a key holds once sequence number `seq` has been applied to it. */
function stateAfter(seq: number): number | null {
  return isCrashDelete(seq) ? null : seq;
}

function describeState(state: number | null): string {
  return state === null ? 'nothing' : `the value of sequence ${state}`;
}
