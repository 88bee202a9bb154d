/**
 * ACL policies: parsing, the policy store, the ACL checked on every request,
 * and the sys/ paths that manage policies and report capabilities. Paths,
 * globs, parameter constraints, wrapping TTL bounds and templates follow
 * Vault's policy documentation.
 */
import type { FieldMap, PathDefinition } from '@coffer/sdk';
import { capabilityPaths, type CapabilityPathDeps } from './path-capabilities.js';
import { policyManagementPaths } from './path-policy.js';

export type { AclOperation, Capability } from './capabilities.js';
export { ACL, ROOT_POLICY_NAME, type AclRequest, type AclResult } from './acl.js';
export { DEFAULT_POLICY, DEFAULT_POLICY_NAME } from './default-policy.js';
export { parsePolicy, type Policy } from './parse.js';
export type { PathRule, RulePermissions } from './path-rules.js';
export { normalizePolicyName, PolicyStore, ROOT_POLICY } from './store.js';
export type { EntityContext } from './templates.js';
export type { CapabilityPathDeps, EntityPolicies, TokenLookup, TokenPolicies } from './path-capabilities.js';

/**
 * Declares the sys/ paths of this module, relative to the system mount: sys/policy,
 * sys/policies/acl, sys/capabilities, sys/capabilities-self and
 * sys/capabilities-accessor.
 */
export function policyPaths(deps: CapabilityPathDeps): PathDefinition<FieldMap>[] {
  return [...policyManagementPaths(deps.store), ...capabilityPaths(deps)];
}
