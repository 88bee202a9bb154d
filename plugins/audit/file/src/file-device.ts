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

/** A promise with its settle functions, shared by every entry of a batch that waits for the same event. */
interface Waiters {
  promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function newWaiters(): Waiters {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

/**
 * Entries queued during one turn of the event loop. They share one fate: one
 * write appends them all, and one sync covers the durable ones. So the
 * writes that need not be durable share one promise, and the durable ones
 * another, instead of one promise for each entry.
 */
interface PendingBatch {
  data: Array<Buffer | string>;
  /** Settles once the batch is appended. Made when the first write that need not be durable joins. */
  appended: Waiters | undefined;
  /** Settles once a sync after the append ends. Made when the first durable write joins. */
  durable: Waiters | undefined;
}

/** Size of a device's first scratch buffer, which fits a typical batch of entries. */
const SCRATCH_INITIAL_BYTES = 64 * 1024;
/** A scratch buffer grown past this is dropped after its batch. */
const SCRATCH_KEPT_BYTES = 4 * 1024 * 1024;

export interface FileDeviceSettings {
  /** Absolute path of the log file. */
  path: string;
  /** Permission bits applied at every open; 0 keeps the file's existing mode. */
  mode: number;
}

/** Appends entries to a file; open one with {@link FileAuditDevice.open}. */
export class FileAuditDevice implements AuditDevice {
  private handle: FileHandle | undefined;
  /** Entries queued for the next flush, which is scheduled whenever this is set. */
  private pending: PendingBatch | undefined;
  /** Appends, reopens and the close run one at a time, in call order, on this chain. */
  private chain: Promise<void> = Promise.resolve();
  /** Durable writes whose bytes are in the file, waiting for the next sync, by batch. */
  private unsynced: Waiters[] = [];
  /** The sync in progress. When it ends, it starts the next one if writes wait. */
  private syncing: Promise<void> | undefined;
  /** True when bytes were appended after the last sync started, durable or not. */
  private appendedSinceSync = false;
  /** False when the open file is a character device or a pipe, which `fdatasync` rejects with EINVAL. */
  private syncable = true;
  private syncs = 0;
  private closed = false;
  /** Buffer that each batch is encoded into for its synchronous write. It is reused, because that write ends before the next batch starts. */
  private scratch = Buffer.allocUnsafe(SCRATCH_INITIAL_BYTES);

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

  /** Queues entries as text, which the flush encodes straight into the scratch buffer. */
  writeText(entries: string, options: AuditWriteOptions = {}): Promise<void> {
    return this.queue(entries, options);
  }

  private queue(entries: Buffer | string, options: AuditWriteOptions): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`audit file "${this.settings.path}" is closed`));
    let batch = this.pending;
    if (batch === undefined) {
      batch = { data: [], appended: undefined, durable: undefined };
      this.pending = batch;
      // The batch takes every entry written until the event loop's check phase.
      setImmediate(() => this.chainFlush());
    }
    batch.data.push(entries);
    if (options.durable ?? true) return (batch.durable ??= newWaiters()).promise;
    return (batch.appended ??= newWaiters()).promise;
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
    const batch = this.pending;
    if (batch === undefined) return;
    this.pending = undefined;
    this.chain = this.chain.then(() => this.flush(batch));
  }

  /** Appends one batch, then hands its durable writes to the sync. */
  private async flush(batch: PendingBatch): Promise<void> {
    const entries = batch.data.length;
    try {
      await this.appendBatch(batch.data);
    } catch (first) {
      this.logger.warn({ err: first, path: this.settings.path, entries }, 'audit file write failed; retrying on a reopened file');
      try {
        await this.syncAppended();
        await this.closeHandle();
        await this.appendBatch(batch.data);
      } catch (err) {
        this.logger.error({ err, path: this.settings.path, entries }, 'audit file write failed');
        const failure = new Error(`failed to write audit file "${this.settings.path}": ${describeError(err)}`);
        batch.appended?.reject(failure);
        batch.durable?.reject(failure);
        return;
      }
    }
    batch.appended?.resolve();
    if (batch.durable !== undefined) this.unsynced.push(batch.durable);
    this.startSync();
  }

  /**
   * Appends a batch's entries. A regular file gets them through the
   * device's scratch buffer, which one synchronous write empties again, so
   * a batch allocates no buffer of its own.
   */
  private async appendBatch(data: ReadonlyArray<Buffer | string>): Promise<void> {
    this.handle ??= await this.openFile();
    if (this.syncable) {
      this.appendSync(this.handle, this.encode(data));
      return;
    }
    await this.appendAsync(this.handle, Buffer.concat(data.map((item) => (typeof item === 'string' ? Buffer.from(item, 'utf8') : item))));
  }

  /** Writes the entries one after the other into the scratch buffer, which grows to fit, and returns the part they fill. */
  private encode(data: ReadonlyArray<Buffer | string>): Buffer {
    let length = 0;
    for (const item of data) {
      // Three bytes per UTF-16 unit bound the UTF-8 length without a pass over the text.
      const needed = typeof item === 'string' ? item.length * 3 : item.length;
      if (length + needed > this.scratch.length) {
        const larger = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, length + needed));
        this.scratch.copy(larger, 0, 0, length);
        this.scratch = larger;
      }
      length += typeof item === 'string' ? this.scratch.write(item, length, 'utf8') : item.copy(this.scratch, length);
    }
    const filled = this.scratch.subarray(0, length);
    // A buffer grown for a rare huge batch is not kept.
    if (this.scratch.length > SCRATCH_KEPT_BYTES) this.scratch = Buffer.allocUnsafe(SCRATCH_INITIAL_BYTES);
    return filled;
  }

  /**
   * Appends `data` to a regular file and checks that the file still has a
   * name. An unlinked file would keep accepting writes that vanish at
   * close, so that counts as a failure. The page cache takes the bytes at
   * once, so this thread writes them itself instead of waiting for a round
   * trip through the thread pool.
   */
  private appendSync(handle: FileHandle, data: Buffer): void {
    let offset = 0;
    try {
      while (offset < data.length) offset += writeSync(handle.fd, data, offset, data.length - offset);
    } catch (err) {
      this.cutPartialAppend(handle, offset);
      throw err;
    }
    this.appendedSinceSync = true;
    if (fstatSync(handle.fd).nlink === 0) throw new Error('the file was deleted while open');
  }

  /** Appends `data` to a pipe or character device, which can block, through the thread pool. */
  private async appendAsync(handle: FileHandle, data: Buffer): Promise<void> {
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

  private async sync(handle: FileHandle, covered: Waiters[]): Promise<void> {
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
