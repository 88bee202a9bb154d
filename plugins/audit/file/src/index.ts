/**
 * @coffer/audit-file: appends audit entries to a file.
 *
 * Options:
 * - `file_path` (required; `path` is the older name Vault also accepts): the
 *   log file, appended to when it exists. A missing folder is made (mode
 *   0700) when the device is enabled or the server unseals. `stdout` writes
 *   to the server's standard output and `discard` drops every entry.
 * - `mode` (default `0600`): octal permission bits set on the file at every
 *   open; `0000` keeps the mode of an existing file. Executable bits are
 *   rejected.
 *
 * Sending SIGHUP to the server reopens the file, for log rotation.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SDK_VERSION, type AuditDevice, type AuditPlugin } from '@coffer/sdk';
import { FileAuditDevice } from './file-device.js';
import { DiscardAuditDevice, StdoutAuditDevice } from './stream-devices.js';

export { FileAuditDevice, type FileDeviceSettings } from './file-device.js';
export { DiscardAuditDevice, StdoutAuditDevice } from './stream-devices.js';

const DEFAULT_MODE = 0o600;

/** The file audit device type. */
export const plugin: AuditPlugin = {
  kind: 'audit',
  name: 'file',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: ['file_path', 'path', 'mode'],
  async create(options, { logger }): Promise<AuditDevice> {
    const target = filePath(options);
    if (target.toLowerCase() === 'stdout') return new StdoutAuditDevice();
    if (target.toLowerCase() === 'discard') return new DiscardAuditDevice();

    const path = resolve(target);
    const mode = parseMode(options.mode);
    if (mode === 0) {
      const existing = await stat(path).catch(() => null);
      if (existing === null) throw new Error(`invalid option "mode" "${options.mode}": it keeps the mode of an existing file, but "${path}" does not exist`);
    }
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    return FileAuditDevice.open({ path, mode }, logger.child({ audit: 'file' }));
  },
};

function filePath(options: Record<string, string>): string {
  const filePathOption = options.file_path?.trim();
  const pathOption = options.path?.trim();
  if (filePathOption !== undefined && pathOption !== undefined && filePathOption !== pathOption) {
    throw new Error('options "file_path" and "path" name different files: set only "file_path"');
  }
  const target = filePathOption ?? pathOption;
  if (target === undefined || target === '') throw new Error('missing required option "file_path"');
  return target;
}

/**
 * Parses an octal mode such as `0600`.
 * @throws Error naming the value when it is not octal or sets an executable bit.
 */
function parseMode(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_MODE;
  const text = raw.trim();
  if (!/^[0-7]{1,4}$/.test(text)) throw new Error(`invalid option "mode" "${raw}": expected octal permission bits such as "0600"`);
  const mode = parseInt(text, 8);
  if (mode > 0o777) throw new Error(`invalid option "mode" "${raw}": setuid, setgid and sticky bits are not allowed; use a mode such as "0600"`);
  if ((mode & 0o111) !== 0) throw new Error(`invalid option "mode" "${raw}": an audit file must not be executable; use a mode such as "0600"`);
  return mode;
}
