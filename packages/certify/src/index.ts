/**
 * @coffer/certify: the conformance suites that every plugin of a kind runs,
 * built-in or a vendor's, so that all of them keep the same contract, and
 * the review bundle that `coffer plugin certify` writes.
 */
export { runStorageConformance, type StorageCase, type StorageConformanceOptions, type StorageScratch } from './storage/suite.js';
export { runHaLockCases, type HaContender, type HaLockCaseOptions } from './storage/ha-cases.js';
export { runDatabaseConformance, type DatabaseConformanceOptions } from './database/suite.js';
export { databaseChecks, type DatabaseContext, type DatabaseDescription } from './database/checks.js';
export { prepareSealDescription, sealChecks, type SealContext, type SealDescription, type SealServer } from './seal/suite.js';
export { runStorageSuite, type StorageDescription, type StorageRun } from './storage/certify.js';
export {
  declareChecks,
  failureLines,
  runChecks,
  SkipCheck,
  skippableByDescription,
  suitePassed,
  type Check,
  type CheckResult,
  type SuiteResult,
} from './check.js';
export { CofferHttp, describeBody, type CallOptions, type HttpResult } from './http.js';
export { secretsChecks, UNKNOWN_FIELD, type SecretsContext, type SecretsDescription } from './secrets/suite.js';
export { authChecks, type AuthContext, type AuthDescription, type AuthRequest } from './auth/suite.js';
export { auditChecks, expandOptions, type AuditContext, type AuditDescription, type IsolatedServer } from './audit/suite.js';
export {
  checkIntegration,
  checkListing,
  IntegrationError,
  loadIntegration,
  MAX_CRITICAL_RESPONSE_HOURS,
  MAX_OTHER_RESPONSE_BUSINESS_DAYS,
  placeholderProblems,
  PLUGIN_KINDS,
  TEMPLATE_VENDOR,
  type CertifyDescription,
  type Integration,
  type IntegrationKind,
} from './catalog/integration.js';
export { loadCatalog, renderCatalog } from './catalog/render.js';
export { renderJunit } from './bundle/junit.js';
export { codeDigest, type CodeRuntime } from './bundle/code-digest.js';
export { describeSupport, renderHtml } from './bundle/html.js';
export { MANIFEST_FILE, sha256Hex, verifyBundle, writeManifest, type BundleSummary, type Manifest, type Verification } from './bundle/manifest.js';
