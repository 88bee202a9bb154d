/**
 * @coffer/auth-jwt: the JWT/OIDC auth method with Vault's HTTP API. The
 * server registers it under the types `jwt` and `oidc`, as Vault does.
 */
import { SDK_VERSION, type AuthPlugin } from '@coffer/sdk';
import { createBackend } from './backend.js';

export const plugin: AuthPlugin = {
  kind: 'auth',
  name: 'jwt',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    return createBackend(config);
  },
};

export { createBackend, createJwtBackend, type BackendOptions } from './backend.js';
