/**
 * @coffer/secrets-pki: the PKI secrets engine with Vault's HTTP API.
 */
import { SDK_VERSION, type SecretsPlugin } from '@coffer/sdk';

export const plugin: SecretsPlugin = {
  kind: 'secrets',
  name: 'pki',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    // Loaded on the first mount: @peculiar/x509 and its reflect-metadata
    // polyfill, which changes the global Reflect, then stay out of servers
    // that never mount pki.
    const { createBackend } = await import('./backend.js');
    return createBackend(config);
  },
};

export type { PkiOptions } from './backend.js';
