/**
 * @coffer/seal-gcpckms: the `seal "gcpckms"` stanza, a Google Cloud KMS
 * crypto key as the seal.
 */
import { SDK_VERSION, type SealPlugin } from '@coffer/sdk';
import { GcpCkmsSeal } from './gcpckms-seal.js';
import { GCPCKMS_SETTINGS, parseGcpCkmsSettings } from './settings.js';

export { GcpCkmsSeal, GCPCKMS_ENVELOPE_AES_GCM } from './gcpckms-seal.js';
export { GcpCkmsSettingsError, parseGcpCkmsSettings, type GcpCkmsSettings } from './settings.js';

export const plugin: SealPlugin = {
  kind: 'seal',
  name: 'gcpckms',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: GCPCKMS_SETTINGS,
  async create(settings, context) {
    const parsed = parseGcpCkmsSettings(settings, context.env ?? process.env);
    return new GcpCkmsSeal(parsed, context.logger.child({ seal: 'gcpckms' }));
  },
};
