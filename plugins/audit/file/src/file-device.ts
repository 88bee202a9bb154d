/**
 * The file audit device: appends entries to one file with group commit.
 *
 * Group commit: entries that arrive while a batch is being written and
 * synced wait in a queue, and the next batch appends all of them with one
 * write and covers them with one `fdatasync`. Each `write` resolves only after
 * the sync that covers its bytes, so concurrent requests share a sync instead
 * of paying one each.
 *
 * A batch that fails is tried once more on a freshly opened descriptor, which
 * also recovers from a log file that was deleted: the entries then go to a new
 * file at the same path. When even that fails (the folder is gone, the disk is
 * full) every write of the batch rejects, and the broker fails the request
 * unless another device recorded it.
 */
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditDevice, Logger } from '@coffer/sdk';

/** Opens a file for appending and creates it when missing. */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;

interface PendingWrite {
  data: Buffer;
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
  private flushScheduled = false;
  /** Flushes, reopens and the close run one at a time, in call order, on this chain. */
  private chain: Promise<void> = Promise.resolve();
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

  write(entries: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`audit file "${this.settings.path}" is closed`));

    return new Promise<void>((resolve, reject) => {
      this.pending.push({ data: entries, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      this.chain = this.chain.then(() => this.flush());
    });
  }

  /** Closes the file and opens the path again, so a rotated log continues in a new file. */
  reopen(): Promise<void> {
    const reopened = this.chain.then(async () => {
      if (this.closed) return;
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
    this.chain = this.chain.then(() => this.closeHandle());
    await this.chain;
  }

  /** Writes and syncs everything queued so far as one batch. */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    const data = batch.length === 1 ? batch[0].data : Buffer.concat(batch.map((item) => item.data));

    try {
      await this.appendDurably(data);
    } catch (first) {
      this.logger.warn({ err: first, path: this.settings.path, entries: batch.length }, 'audit file write failed; retrying on a reopened file');
      try {
        await this.closeHandle();
        await this.appendDurably(data);
      } catch (err) {
        this.logger.error({ err, path: this.settings.path, entries: batch.length }, 'audit file write failed');
        const failure = new Error(`failed to write audit file "${this.settings.path}": ${describeError(err)}`);
        for (const item of batch) item.reject(failure);
        return;
      }
    }
    for (const item of batch) item.resolve();
  }

  /**
   * Appends `data`, syncs it and checks that the file still has a name. An
   * unlinked file would keep accepting writes that vanish at close, so that
   * counts as a failure.
   */
  private async appendDurably(data: Buffer): Promise<void> {
    this.handle ??= await this.openFile();
    const handle = this.handle;

    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
    await handle.datasync();
    this.syncs += 1;

    const stats = await handle.stat();
    if (stats.nlink === 0) throw new Error('the file was deleted while open');
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
