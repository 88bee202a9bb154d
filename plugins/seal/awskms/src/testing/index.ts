/**
 * Test doubles for `@coffer/seal-awskms`; only tests import this module
 * (as `@coffer/seal-awskms/testing`).
 */
export { startKmsDouble, type KmsDouble } from './kms-double.js';
