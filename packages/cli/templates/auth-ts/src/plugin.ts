/** The plugin declaration Coffer checks at load: kind, name, versions and the factory. */
import { SDK_VERSION, type AuthPlugin } from '@coffer/sdk';
import { createBackend } from './backend.js';

export const plugin: AuthPlugin = {
  kind: 'auth',
  name: '__NAME__',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    config.logger.info({ mountPoint: config.mountPoint }, 'backend created');
    return createBackend();
  },
};
