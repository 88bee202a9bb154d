/**
 * @coffer/secrets-kv: the KV secrets engine, versions 1 and 2, with Vault's
 * HTTP API.
 */
import { SDK_VERSION, type SecretsPlugin } from '@coffer/sdk';
import { createBackend } from './backend.js';

export const plugin: SecretsPlugin = {
  kind: 'secrets',
  name: 'kv',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    return createBackend(config);
  },
};

export { createBackend, kvVersion } from './backend.js';
