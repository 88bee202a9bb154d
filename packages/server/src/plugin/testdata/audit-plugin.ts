/**
 * A small audit device served as an external plugin, for the plugin tests:
 * appends entries to the file in its `file_path` option and syncs the file
 * before a write returns.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { SDK_VERSION, serve, type AuditDevice, type AuditPlugin } from '@coffer/sdk';

class AppendDevice implements AuditDevice {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private handle: FileHandle,
    private readonly path: string,
  ) {}

  static async open(path: string): Promise<AppendDevice> {
    return new AppendDevice(await open(path, 'a', 0o600), path);
  }

  write(entries: Buffer): Promise<void> {
    const done = this.queue.then(async () => {
      await this.handle.write(entries);
      await this.handle.datasync();
    });
    this.queue = done.catch(() => undefined);
    return done;
  }

  async reopen(): Promise<void> {
    await this.queue;
    await this.handle.close();
    this.handle = await open(this.path, 'a', 0o600);
  }

  async close(): Promise<void> {
    await this.queue;
    await this.handle.close();
  }
}

const plugin: AuditPlugin = {
  kind: 'audit',
  name: 'coffer-test-audit',
  version: '1.0.0',
  sdkVersion: SDK_VERSION,
  settings: ['file_path'],
  async create(options) {
    for (const name of Object.keys(options)) {
      if (name !== 'file_path') throw new Error(`unknown option "${name}"; the test audit device takes only "file_path"`);
    }
    const path = options.file_path;
    if (path === undefined || path === '') throw new Error('missing option "file_path": the file to append entries to');
    return AppendDevice.open(path);
  },
};

await serve(plugin);
