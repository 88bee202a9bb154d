/**
 * @coffer/seal-awskms: the `seal "awskms"` stanza, an AWS KMS key as the seal.
 */
import { SDK_VERSION, type SealPlugin } from '@coffer/sdk';
import { AwsKmsSeal } from './awskms-seal.js';
import { AWSKMS_SETTINGS, parseAwsKmsSettings } from './settings.js';

export { AwsKmsSeal, AWSKMS_ENVELOPE_AES_GCM } from './awskms-seal.js';
export { AwsKmsSettingsError, parseAwsKmsSettings, type AwsKmsSettings } from './settings.js';

export const plugin: SealPlugin = {
  kind: 'seal',
  name: 'awskms',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: AWSKMS_SETTINGS,
  async create(settings, context) {
    const parsed = parseAwsKmsSettings(settings, context.env ?? process.env);
    return new AwsKmsSeal(parsed, context.logger.child({ seal: 'awskms' }));
  },
};
