/**
 * Test doubles for `@coffer/seal-gcpckms`; only tests import this module
 * (as `@coffer/seal-gcpckms/testing`).
 */
export { startGcpKmsDouble, type GcpKmsDouble } from './kms-double.js';
