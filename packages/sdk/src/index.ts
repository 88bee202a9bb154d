/**
 * @coffer/sdk: everything a Coffer plugin may import.
 */
export * from './storage.js';
export * from './errors.js';
export * from './duration.js';
export * from './logger.js';
export * from './logical.js';
export * from './plugin.js';
export * from './seal.js';
export * from './audit.js';
export * from './auth.js';
export * from './database.js';
export * from './username-template.js';
export * from './random-pool.js';
export * from './keyed-lock.js';
export * from './go-bool.js';
export * from './glob.js';
export * from './json.js';
export * from './framework/field.js';
export * from './framework/field-data.js';
export * from './framework/path.js';
export * from './framework/secret.js';
export * from './framework/backend.js';
export * from './framework/openapi.js';
export * from './framework/wal.js';
export * from './plugin-server/index.js';
