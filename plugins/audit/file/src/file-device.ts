/**
 * The file audit device: appends entries to one file with group commit.
 *
 * Group commit: entries written during one turn of the event loop wait in
 * a queue, and one batch appends all of them with one write. A regular file
 * is appended to synchronously, which the page cache makes quick. So the
 * entries of a batch resolve without a round trip through the thread pool.
 * A pipe or character device can block, so it is written asynchronously.
 * Durable
 * writes then wait for an `fdatasync` that starts after their bytes are in
 * the file. One sync covers every write appended before it, so concurrent
 * requests share a sync instead of paying one each. A write that need not
 * be durable yet (a request's entry, see `AuditWriteOptions`) resolves once
 * appended. Appends go on while a sync runs, so request entries never wait
 * for a sync. Close and reopen sync everything appended before they let go
 * of the file, because the next durable write may go to another file. A
 * path that is a character device or a pipe (/dev/null, a named pipe) is
 * never synced, so its durable writes resolve once appended.
 *
 * A batch that fails to append is tried once more on a freshly opened
 * descriptor, which also recovers from a log file that was deleted: the
 * entries then go to a new file at the same path. When even that fails (the
 * folder is gone, the disk is full) every write of the batch rejects, and the
 * broker fails the request unless another device recorded it. A failed sync
 * rejects the durable writes it was to cover.
 */
import { constants, fstatSync, ftruncateSync, writeSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditDevice, AuditWriteOptions, Logger } from '@coffer/sdk';

/** Opens a file for appending and creates it when missing. */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;

interface PendingWrite {
  data: Buffer | string;
  durable: boolean;
  resolve(): void;
  reject(err: Error): void;
}

export interface FileDeviceSettings {
  /** Absolute path of the log file. */
  path: string;
  /** Permission bits applied at every open; 0 keeps the file's existing mode. */
  mode: number;
}

/** Appends entries to a file; open one with {@link FileAuditDevice.open}. */
export class FileAuditDevice implements AuditDevice {
  private handle: FileHandle | undefined;
  private pending: PendingWrite[] = [];
  /** True while queued entries wait for a flush that is not on the chain yet. */
  private flushScheduled = false;
  /** Appends, reopens and the close run one at a time, in call order, on this chain. */
  private chain: Promise<void> = Promise.resolve();
  /** Durable writes whose bytes are in the file, waiting for the next sync. */
  private unsynced: PendingWrite[] = [];
  /** The sync in progress. When it ends, it starts the next one if writes wait. */
  private syncing: Promise<void> | undefined;
  /** True when bytes were appended after the last sync started, durable or not. */
  private appendedSinceSync = false;
  /** False when the open file is a character device or a pipe, which `fdatasync` rejects with EINVAL. */
  private syncable = true;
  private syncs = 0;
  private closed = false;

  private constructor(
    private readonly settings: FileDeviceSettings,
    private readonly logger: Logger,
  ) {}

  /**
   * Opens (and creates, when missing) the log file. The caller makes any
   * missing folder beforehand; later reopens never make folders.
   */
  static async open(settings: FileDeviceSettings, logger: Logger): Promise<FileAuditDevice> {
    const device = new FileAuditDevice(settings, logger);
    device.handle = await device.openFile();
    logger.info({ path: settings.path }, 'audit file opened');
    return device;
  }

  /** Number of `fdatasync` calls so far; with group commit it grows by batch, not by entry. */
  get syncCount(): number {
    return this.syncs;
  }

  write(entries: Buffer, options: AuditWriteOptions = {}): Promise<void> {
    return this.queue(entries, options);
  }

  /** Queues entries as text. The batch they join is converted to UTF-8 once. */
  writeText(entries: string, options: AuditWriteOptions = {}): Promise<void> {
    return this.queue(entries, options);
  }

  private queue(entries: Buffer | string, options: AuditWriteOptions): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`audit file "${this.settings.path}" is closed`));

    return new Promise<void>((resolve, reject) => {
      this.pending.push({ data: entries, durable: options.durable ?? true, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      // The batch takes every entry written until the event loop's check phase.
      setImmediate(() => this.chainFlush());
    });
  }

  /** Closes the file and opens the path again, so a rotated log continues in a new file. */
  reopen(): Promise<void> {
    // Entries written before the reopen go to the file it closes.
    this.chainFlush();
    const reopened = this.chain.then(async () => {
      if (this.closed) return;
      await this.syncAppended();
      await this.closeHandle();
      this.handle = await this.openFile();
      this.logger.info({ path: this.settings.path }, 'audit file reopened');
    });
    // A failed reopen must not break the chain: the next batch opens the file again itself.
    this.chain = reopened.catch(() => undefined);
    return reopened;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.chainFlush();
    this.chain = this.chain.then(async () => {
      await this.syncAppended();
      await this.closeHandle();
    });
    await this.chain;
  }

  /** Puts the flush of the queued entries on the chain, unless it is there already. */
  private chainFlush(): void {
    if (!this.flushScheduled) return;
    this.flushScheduled = false;
    this.chain = this.chain.then(() => this.flush());
  }

  /** Appends everything queued so far as one batch, then hands its durable writes to the sync. */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const data = batchBytes(batch);

    try {
      await this.append(data);
    } catch (first) {
      this.logger.warn({ err: first, path: this.settings.path, entries: batch.length }, 'audit file write failed; retrying on a reopened file');
      try {
        await this.syncAppended();
        await this.closeHandle();
        await this.append(data);
      } catch (err) {
        this.logger.error({ err, path: this.settings.path, entries: batch.length }, 'audit file write failed');
        const failure = new Error(`failed to write audit file "${this.settings.path}": ${describeError(err)}`);
        for (const item of batch) item.reject(failure);
        return;
      }
    }
    for (const item of batch) {
      if (item.durable) this.unsynced.push(item);
      else item.resolve();
    }
    this.startSync();
  }

  /**
   * Appends `data` and checks that the file still has a name. An unlinked
   * file would keep accepting writes that vanish at close, so that counts
   * as a failure.
   */
  private async append(data: Buffer): Promise<void> {
    this.handle ??= await this.openFile();
    const handle = this.handle;

    if (this.syncable) {
      // A regular file takes the batch into the page cache at once, so this
      // thread writes it itself instead of waiting for a round trip through
      // the thread pool. A pipe or device can block, so it is written there.
      let offset = 0;
      try {
        while (offset < data.length) offset += writeSync(handle.fd, data, offset, data.length - offset);
      } catch (err) {
        this.cutPartialAppend(handle, offset);
        throw err;
      }
      this.appendedSinceSync = true;
      if (fstatSync(handle.fd).nlink === 0) throw new Error('the file was deleted while open');
      return;
    }
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
    this.appendedSinceSync = true;
    if ((await handle.stat()).nlink === 0) throw new Error('the file was deleted while open');
  }

  /**
   * Truncates the `written` bytes of a batch that failed part way (a full
   * disk, a file size limit), because its entries are rejected and the
   * fragment would run into the next entry's line. Only this device appends
   * to the file, so those bytes are its last ones. NOTE: a pipe or
   * character device cannot be truncated, so there a fragment stays.
   */
  private cutPartialAppend(handle: FileHandle, written: number): void {
    if (written === 0) return;
    try {
      ftruncateSync(handle.fd, fstatSync(handle.fd).size - written);
    } catch (err) {
      this.logger.error({ err, path: this.settings.path, bytes: written }, 'audit file truncate failed; a partial entry stays in the file');
    }
  }

  /**
   * Starts a sync for the durable writes appended so far, unless one is
   * running. With `always`, it syncs even when only writes that need not be
   * durable were appended.
   */
  private startSync(always = false): void {
    if (this.syncing !== undefined || this.handle === undefined) return;
    if (this.unsynced.length === 0 && !(always && this.appendedSinceSync)) return;
    const covered = this.unsynced;
    this.unsynced = [];
    this.appendedSinceSync = false;
    this.syncing = this.sync(this.handle!, covered).finally(() => {
      this.syncing = undefined;
      this.startSync();
    });
  }

  private async sync(handle: FileHandle, covered: PendingWrite[]): Promise<void> {
    if (!this.syncable) {
      // A pipe or device has no bytes of its own to make durable, as with the socket device.
      for (const item of covered) item.resolve();
      return;
    }
    try {
      await handle.datasync();
      this.syncs += 1;
    } catch (err) {
      // NOTE: after a failed fdatasync, Linux may drop the pages it could not
      // write and report success on the next sync. A request entry appended
      // before this sync can then be lost while the sync of its response
      // entry succeeds.
      this.logger.error({ err, path: this.settings.path, entries: covered.length }, 'audit file sync failed');
      const failure = new Error(`failed to sync audit file "${this.settings.path}": ${describeError(err)}`);
      for (const item of covered) item.reject(failure);
      return;
    }
    for (const item of covered) item.resolve();
  }

  /** Waits until no sync runs and no durable write waits for one. */
  private async syncsDone(): Promise<void> {
    while (this.syncing !== undefined) await this.syncing;
  }

  /**
   * Syncs everything appended to the open file, before the device lets go
   * of it. Request entries are appended without a sync and count on the
   * sync of their response entry, which would otherwise go to another file
   * or never happen. A failed sync is only logged, because those writes
   * already resolved.
   */
  private async syncAppended(): Promise<void> {
    await this.syncsDone();
    this.startSync(true);
    await this.syncsDone();
  }

  private async openFile(): Promise<FileHandle> {
    const { path, mode } = this.settings;
    const existed = await stat(path).then(
      () => true,
      () => false,
    );
    const handle = await open(path, APPEND_FLAGS, mode === 0 ? 0o600 : mode);
    try {
      const stats = await handle.stat();
      // Only a regular file gets the mode: a device such as /dev/null keeps its own.
      if (mode !== 0 && stats.isFile() && (stats.mode & 0o7777) !== mode) await handle.chmod(mode);
      this.syncable = !stats.isCharacterDevice() && !stats.isFIFO();
      if (!existed) await syncFolder(dirname(path));
    } catch (err) {
      await handle.close();
      throw err;
    }
    return handle;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle === undefined) return;
    try {
      await handle.close();
    } catch (err) {
      this.logger.warn({ err, path: this.settings.path }, 'audit file close failed');
    }
  }
}

/** Returns the bytes of a batch, converting text once for the whole batch where it can. */
function batchBytes(batch: readonly PendingWrite[]): Buffer {
  if (batch.every((item) => typeof item.data === 'string')) {
    return Buffer.from(batch.length === 1 ? (batch[0].data as string) : batch.map((item) => item.data).join(''), 'utf8');
  }
  return Buffer.concat(batch.map((item) => (typeof item.data === 'string' ? Buffer.from(item.data, 'utf8') : item.data)));
}

/** Makes a new file's directory entry durable. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
