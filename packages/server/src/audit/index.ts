/**
 * Audit devices: the broker the request pipeline calls, the sys/audit paths
 * and the entry formatting they share.
 */
export { AuditBroker, type EnableFields } from './broker.js';
export { auditPaths, describeAuditDevice } from './path-audit.js';
export { auditTokenFields, type AuditedHeader, type AuditInput, type AuditResponseData, type AuditResponseInput, type AuditTokenFields, type AuditWrapInfoInput } from './input.js';
export { AuditHasher, HMAC_PREFIX } from './hmac.js';
export { buildRequestEntry, buildResponseEntry, formatTime, parseFormatConfig, serializeEntry, type FormatConfig } from './format.js';
export { AUDIT_TABLE_PATH, type AuditTableEntry } from './table.js';
export { builtinAuditDevices } from './builtin.js';
export { AUDITED_HEADERS_KEY, AuditedRequestHeaders, type AuditedHeaderSettings } from './request-headers.js';
export { auditedHeaderPaths } from './path-request-headers.js';
