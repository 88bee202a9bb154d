/**
 * @coffer/seal-pkcs11: the `seal "pkcs11"` stanza, an HSM reached through
 * its PKCS#11 library.
 */
import { SDK_VERSION, type SealPlugin } from '@coffer/sdk';
import { Pkcs11Seal } from './pkcs11-seal.js';
import { parsePkcs11Settings, PKCS11_SETTINGS } from './settings.js';

export { Pkcs11Seal } from './pkcs11-seal.js';
export { CKM_AES_GCM, CKM_RSA_PKCS_OAEP, CKM_SHA256_HMAC, parsePkcs11Settings, Pkcs11SettingsError } from './settings.js';

export const plugin: SealPlugin = {
  kind: 'seal',
  name: 'pkcs11',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: PKCS11_SETTINGS,
  async create(settings, context) {
    const parsed = parsePkcs11Settings(settings, context.env ?? process.env);
    return new Pkcs11Seal(parsed, context.logger.child({ seal: 'pkcs11' }));
  },
};
