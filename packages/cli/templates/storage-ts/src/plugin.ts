/**
 * The storage plugin: its name, version and the settings the `storage`
 * stanza may give. `src/index.ts` serves it; tests import it directly.
 */
import { SDK_VERSION, type StoragePlugin } from '@coffer/sdk';
import { MapStore } from './store.js';

export { MapStore } from './store.js';

export const plugin: StoragePlugin = {
  kind: 'storage',
  name: '__NAME__',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  // Names of the settings the `storage` stanza may give; this store takes none.
  settings: [],
  async create(_settings, context) {
    context.logger.info({}, 'store opened');
    return new MapStore();
  },
};
