/**
 * @coffer/seal-azurekeyvault: the `seal "azurekeyvault"` stanza, an Azure
 * Key Vault RSA key as the seal.
 */
import { SDK_VERSION, type SealPlugin } from '@coffer/sdk';
import { AzureKeyVaultSeal } from './azurekeyvault-seal.js';
import { AZUREKEYVAULT_SETTINGS, parseAzureKeyVaultSettings } from './settings.js';

export { AzureKeyVaultSeal, AZUREKEYVAULT_ENVELOPE_RSA_OAEP_256 } from './azurekeyvault-seal.js';
export { AzureKeyVaultSettingsError, parseAzureKeyVaultSettings, type AzureKeyVaultSettings } from './settings.js';

export const plugin: SealPlugin = {
  kind: 'seal',
  name: 'azurekeyvault',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: AZUREKEYVAULT_SETTINGS,
  async create(settings, context) {
    const parsed = parseAzureKeyVaultSettings(settings, context.env ?? process.env);
    return new AzureKeyVaultSeal(parsed, context.logger.child({ seal: 'azurekeyvault' }));
  },
};
