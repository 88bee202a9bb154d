/**
 * @coffer/secrets-ldap: the LDAP secrets engine, with the HTTP API of
 * Vault's ldap engine.
 */
import { SDK_VERSION, type SecretsPlugin } from '@coffer/sdk';
import { createBackend } from './backend.js';

export const plugin: SecretsPlugin = {
  kind: 'secrets',
  name: 'ldap',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    return createBackend(config);
  },
};

export { createBackend } from './backend.js';
