// `coffer operator snapshot save` and `restore`: a copy of the whole storage
// through sys/storage/snapshot, for every storage backend. Vault has the same
// commands only for Raft, as `vault operator raft snapshot`.
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { Command } from '../command.js';
import { expectArguments, httpFlags, reportApiError } from '../command.js';
import { UsageError } from '../flags.js';
import { wrapAtLength } from '../output.js';

/** The first bytes of every snapshot file. */
const SNAPSHOT_MAGIC = Buffer.from('COFFSNAP', 'ascii');
/** A snapshot ends with the SHA-256 of every byte before it. */
const DIGEST_BYTES = 32;

/**
 * Checks the parts of the format that show a truncated or foreign file: the
 * magic at the start and the checksum at the end. The server checks the rest.
 * Returns the problem, or `null`.
 */
export function snapshotFileProblem(bytes: Buffer): string | null {
  if (bytes.length < SNAPSHOT_MAGIC.length + DIGEST_BYTES || !bytes.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    return 'it is not a Coffer snapshot';
  }
  const digest = createHash('sha256').update(bytes.subarray(0, bytes.length - DIGEST_BYTES)).digest();
  if (!digest.equals(bytes.subarray(bytes.length - DIGEST_BYTES))) return 'its SHA-256 checksum does not match, so it is truncated or damaged';
  return null;
}

export const operatorSnapshotSaveCommand: Command = {
  name: 'operator snapshot save',
  synopsis: 'Save a snapshot of the storage to a file',
  help: `
Usage: coffer operator snapshot save [options] FILE

  Saves every entry of the server's storage, still encrypted, together with
  the seal configuration, to FILE. The snapshot restores into a server with
  any storage backend and unseals with the unseal keys valid at this moment.
  The token needs sudo on sys/storage/snapshot.

      $ coffer operator snapshot save coffer.snap`,
  flags: [...httpFlags],
  async run({ ui, args, client }) {
    expectArguments(args, 1);
    const file = args[0];
    const api = await client();

    let bytes: Buffer;
    try {
      bytes = await api.readBytes('sys/storage/snapshot');
    } catch (error) {
      return reportApiError(ui, 'Error saving the snapshot', error);
    }
    const problem = snapshotFileProblem(bytes);
    if (problem !== null) {
      ui.error(`Error saving the snapshot: the server's response of ${bytes.length} bytes is not usable: ${problem}`);
      return 2;
    }

    // Write beside the target and rename, so a failed write never leaves half a snapshot under FILE.
    const partial = `${file}.partial-${process.pid}`;
    try {
      await writeFile(partial, bytes, { mode: 0o600 });
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      ui.error(`Error writing the snapshot to "${file}": ${(error as Error).message}`);
      return 1;
    }
    ui.output(`Success! Saved a snapshot of ${bytes.length} bytes to "${file}".`);
    return 0;
  },
};

export const operatorSnapshotRestoreCommand: Command = {
  name: 'operator snapshot restore',
  synopsis: 'Restore the storage from a snapshot file',
  help: `
Usage: coffer operator snapshot restore [options] FILE

  Replaces the whole storage of the server with the snapshot in FILE, then
  leaves the server sealed. Unseal it with the unseal keys that were valid
  when the snapshot was saved. The token needs sudo on sys/storage/snapshot.

  A snapshot of another cluster is refused unless -force is given, as for
  moving a cluster to a new storage backend: initialize the new server,
  unseal it, and restore with -force using its root token.

      $ coffer operator snapshot restore coffer.snap
      $ coffer operator snapshot restore -force coffer.snap`,
  flags: [
    ...httpFlags,
    {
      name: 'force',
      kind: 'bool',
      usage: 'Restore a snapshot of another cluster, replacing this cluster\'s keys and data with the snapshot\'s.',
    },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const file = args[0];
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new UsageError(`error reading the snapshot "${file}": ${(error as Error).message}`);
    }
    const problem = snapshotFileProblem(bytes);
    if (problem !== null) throw new UsageError(`invalid snapshot "${file}": ${problem}`);

    const api = await client();
    const path = flags.bool('force') ? 'sys/storage/snapshot-force' : 'sys/storage/snapshot';
    try {
      await api.request('POST', path, { body: { snapshot: bytes.toString('base64') }, wrap: false });
    } catch (error) {
      return reportApiError(ui, 'Error restoring the snapshot', error);
    }
    ui.output(
      wrapAtLength('Success! Restored the snapshot. The server is now sealed: unseal it with the unseal keys that were valid when the snapshot was saved.'),
    );
    return 0;
  },
};
