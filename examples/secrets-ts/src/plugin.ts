/**
 * The plugin declaration Coffer checks at load: kind, name, versions, and
 * the factory it calls once per mount.
 */
import { SDK_VERSION, type SecretsPlugin } from '@coffer/sdk';
import { createBackend } from './backend.js';

export const notesPlugin: SecretsPlugin = {
  kind: 'secrets',
  name: 'notes',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    config.logger.info({ mountPoint: config.mountPoint }, 'notes backend created');
    return createBackend();
  },
};
