/**
 * What the crash case's parent and child share: the child's configuration,
 * the key each write goes to, and self-checking values that the parent can
 * rebuild byte for byte from a write's sequence number.
 *
 * Protocol: the parent starts `crash-child.js` with one JSON argument (a
 * {@link CrashChildConfig}). The child prints `ready` once the storage is
 * open, then `ack <seq>` after each put or delete has resolved. Writes to
 * one key are chained, so a key has at most one write in flight and its
 * acknowledgements arrive in sequence order.
 */
import { createHash } from 'node:crypto';

/** The child's configuration, passed as its one command-line argument. */
export interface CrashChildConfig {
  /** Module specifier of the plugin, as given to the suite. */
  module: string;
  /** Name of the export that holds the plugin. */
  exportName: string;
  /** Settings for `create`, the same the parent reopens with. */
  settings: Record<string, string>;
  /** The first sequence number this child writes. */
  firstSeq: number;
  /** How many puts the child keeps in flight at once. */
  concurrency: number;
}

/** How many distinct keys the crash case writes; sequence `s` goes to key `s % CRASH_KEY_COUNT`. */
export const CRASH_KEY_COUNT = 160;

/** The key that sequence number `seq` writes, spread over folders of two depths. */
export function crashKey(seq: number): string {
  const index = seq % CRASH_KEY_COUNT;
  const folder = `crash/d${index % 8}/`;
  return index % 3 === 0 ? `${folder}n${index % 6}/k${index}` : `${folder}k${index}`;
}

/** Every key the crash case may write, in index order. */
export function crashKeys(): string[] {
  return Array.from({ length: CRASH_KEY_COUNT }, (_, index) => crashKey(index));
}

/**
 * Whether sequence number `seq` deletes its key instead of writing it. The
 * child goes over the key space in passes of {@link CRASH_KEY_COUNT}
 * sequence numbers, and every third pass deletes every key, so folders
 * empty out and fill again while the child may be killed.
 */
export function isCrashDelete(seq: number): boolean {
  return Math.floor(seq / CRASH_KEY_COUNT) % 3 === 2;
}

/** The first sequence number at or after `from` that writes key index `index`. */
export function firstSeqForIndex(index: number, from: number): number {
  return from + ((index - (from % CRASH_KEY_COUNT) + CRASH_KEY_COUNT) % CRASH_KEY_COUNT);
}

const DIGEST_BYTES = 32;

/**
 * The value that sequence number `seq` writes: a header naming the sequence
 * and the key, a deterministic payload whose size varies from a few hundred
 * bytes to a quarter MiB (so some writes are slow enough to be cut), and a
 * SHA-256 of everything before it.
 */
export function crashValue(seq: number): Buffer {
  const header = Buffer.from(`coffer-crash ${seq} ${crashKey(seq)}\n`);
  const size = seq % 11 === 0 ? 256 * 1024 + (seq % 7) * 1000 : 200 + ((seq * 7919) % 16384);
  const payload = Buffer.allocUnsafe(size);
  // xorshift32 seeded by the sequence number: cheap, and the same in both processes.
  let state = (seq * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    payload[i] = state & 0xff;
  }
  const body = Buffer.concat([header, payload]);
  const digest = createHash('sha256').update(body).digest();
  return Buffer.concat([body, digest]);
}

/**
 * Reads the sequence number back from a stored crash value and checks that
 * the value is exactly the one that sequence wrote. Returns `null` for a
 * value that is torn, truncated or otherwise not one the child wrote.
 */
export function parseCrashValue(value: Buffer): number | null {
  if (value.length < DIGEST_BYTES) return null;
  const newline = value.indexOf(0x0a);
  if (newline === -1) return null;
  const match = /^coffer-crash (\d+) /.exec(value.subarray(0, newline).toString('latin1'));
  if (match === null) return null;
  const seq = Number(match[1]);
  return crashValue(seq).equals(value) ? seq : null;
}
