/** The plugin declaration Coffer checks at load: kind, name, versions and the factory. */
import { SDK_VERSION, type SecretsPlugin } from '@coffer/sdk';
import { createBackend } from './backend.js';

export const plugin: SecretsPlugin = {
  kind: 'secrets',
  name: '__NAME__',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    config.logger.info({ mountPoint: config.mountPoint }, 'backend created');
    return createBackend();
  },
};
