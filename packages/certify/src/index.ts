/**
 * @coffer/certify: the conformance suites that every plugin of a kind runs,
 * built-in or a vendor's, so that all of them keep the same contract.
 */
export { runStorageConformance, type StorageCase, type StorageConformanceOptions, type StorageScratch } from './storage/suite.js';
export { runDatabaseConformance, type DatabaseConformanceOptions } from './database/suite.js';
