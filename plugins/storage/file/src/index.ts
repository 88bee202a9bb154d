/**
 * @coffer/storage-file: one file per key below a folder.
 *
 * Settings:
 * - `path` (required): the folder that holds the data. It is made (mode
 *   0700) when missing; a relative path is taken from the server's working
 *   directory.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SDK_VERSION, type StoragePlugin } from '@coffer/sdk';
import { FileStorage } from './file.js';

export { FileStorage } from './file.js';

/** The file plugin. */
export const plugin: StoragePlugin = {
  kind: 'storage',
  name: 'file',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: ['path'],
  async create(settings, { logger }) {
    const path = settings.path;
    if (path === undefined) throw new Error('storage "file": missing required setting "path"');
    if (path.trim() === '') throw new Error('storage "file": setting "path" must not be empty');

    const root = resolve(path);
    const existing = await stat(root).catch(() => null);
    if (existing !== null && !existing.isDirectory()) {
      throw new Error(`storage "file": setting "path" names "${root}", which is not a folder`);
    }
    return FileStorage.open(root, logger.child({ storage: 'file' }));
  },
};
