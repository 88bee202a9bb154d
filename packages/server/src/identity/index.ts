/**
 * Identity: entities that tie one person's logins across auth methods
 * together, groups that give them shared policies, and the `identity/` API
 * that manages both, following Vault's identity secrets engine.
 */
export { createIdentityBackend } from './backend.js';
export { IdentityStore, type IdentityPolicies, type MountInfo, type MountLookup } from './store.js';
export { OidcStore } from './oidc-store.js';
export { OIDC_UNAUTHENTICATED_PATHS } from './path-oidc.js';
export { entityInfo, groupsForEntity } from './entity-info.js';
export { renderIdentityTemplate } from './render-template.js';
