/**
 * Password policies: Vault's sys/policies/password API, the generator
 * behind it, and the store the system view uses when a plugin requests a
 * password from a named policy.
 */
export { DEFAULT_PASSWORD_POLICY, generatePassword, GENERATION_TIMEOUT_MS } from './generate.js';
export { MAX_CHARSET_SIZE, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, parsePasswordPolicy, type CharsetRule, type PasswordPolicy } from './parse.js';
export { passwordPolicyPaths } from './path-password-policy.js';
export { PasswordPolicyStore, policyPasswordGenerator } from './store.js';
