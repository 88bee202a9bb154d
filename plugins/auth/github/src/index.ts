/**
 * @coffer/auth-github: the GitHub auth method, with Vault's HTTP API.
 */
import { SDK_VERSION, type AuthPlugin } from '@coffer/sdk';
import { createBackend } from './backend.js';

export const plugin: AuthPlugin = {
  kind: 'auth',
  name: 'github',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    return createBackend(config);
  },
};

export { createBackend } from './backend.js';
