/**
 * @coffer/storage-inmem: storage in process memory, for dev servers and tests.
 */
import { SDK_VERSION, type StoragePlugin } from '@coffer/sdk';
import { InmemStorage } from './inmem.js';

export { InmemStorage } from './inmem.js';

/** The inmem plugin. It takes no settings. */
export const plugin: StoragePlugin = {
  kind: 'storage',
  name: 'inmem',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: [],
  async create() {
    return new InmemStorage();
  },
};
