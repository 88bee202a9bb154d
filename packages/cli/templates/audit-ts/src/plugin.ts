/**
 * The plugin declaration: an audit device type with one option, `path`,
 * the file that receives the entries.
 */
import { SDK_VERSION, type AuditPlugin } from '@coffer/sdk';
import { openFileDevice } from './device.js';

export const plugin: AuditPlugin = {
  kind: 'audit',
  name: '__NAME__',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: ['path'],
  async create(options, context) {
    const path = options.path?.trim() ?? '';
    if (path === '') throw new Error('missing option "path": give the file that receives the entries, such as path=/var/log/coffer/audit.log');
    context.logger.info({ path }, 'device opened');
    return openFileDevice(path);
  },
};
