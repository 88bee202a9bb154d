/**
 * The seal plugin: its name, version and the settings the `seal` stanza
 * may give. Coffer rejects any other setting before `create` runs.
 */
import { SDK_VERSION, type SealPlugin } from '@coffer/sdk';
import { FileKeySource } from './key-source.js';
import { AesGcmSeal } from './seal.js';

export const plugin: SealPlugin = {
  kind: 'seal',
  name: '__NAME__',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: ['key_file'],
  async create(settings, context) {
    const keyFile = settings.key_file;
    if (keyFile === undefined || keyFile === '') throw new Error('missing setting "key_file": the file with the AES-256 key as 64 hexadecimal digits');
    context.logger.info({ keyFile }, 'seal opened');
    // Nothing is read yet: a seal must open while its key service is down, so the server can start and retry.
    return new AesGcmSeal(new FileKeySource(keyFile));
  },
};
