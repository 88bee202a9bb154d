/**
 * @coffer/secrets-aws: the AWS secrets engine, with Vault's HTTP API.
 */
import { SDK_VERSION, type SecretsPlugin } from '@coffer/sdk';
import { createBackend } from './backend.js';

export const plugin: SecretsPlugin = {
  kind: 'secrets',
  name: 'aws',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    return createBackend(config);
  },
};

export { createBackend } from './backend.js';
