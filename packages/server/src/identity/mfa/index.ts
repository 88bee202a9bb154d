/** Login MFA: TOTP methods, login enforcements and the MFA step of a login. */
export { LoginMfa, PENDING_LOGIN_TTL_MS, type IssueLogin } from './login.js';
export { MfaStore } from './store.js';
export { methodPaths } from './path-method.js';
export { totpMethodPaths } from './path-method-totp.js';
export { loginEnforcementPaths } from './path-login-enforcement.js';
export { mfaValidatePaths } from './path-validate.js';
export { gateLogin, MFA_HEADER } from './login-gate.js';
