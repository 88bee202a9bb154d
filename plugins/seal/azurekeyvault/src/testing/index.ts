/**
 * Test doubles for `@coffer/seal-azurekeyvault`; only tests import this
 * module (as `@coffer/seal-azurekeyvault/testing`).
 */
export { startKeyVaultDouble, type KeyVaultDouble } from './key-vault-double.js';
