/**
 * The JWT/OIDC auth method: callers log in with a JWT signed by a trusted
 * issuer (`jwt` roles) or through an OIDC provider in a browser (`oidc`
 * roles).
 *
 * Storage layout, relative to the mount's storage view:
 *
 *   config         the key source, issuer and OIDC client (config.ts)
 *   role/<name>    a role (roles.ts)
 *
 * Fetched key sets and discovery documents, and browser logins in
 * progress, are kept in memory only.
 */
import { Backend, KeyedLock, type BackendConfig, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { JwtContext } from './context.js';
import { DEFAULT_KEY_CACHE_TIMING, KeyCache, type KeyCacheTiming } from './keys.js';
import { OidcStateStore } from './oidc-state.js';
import { pathConfig } from './path-config.js';
import { pathLogin, renewJwtLogin } from './path-login.js';
import { pathOidcAuthUrl, pathOidcCallback } from './path-oidc.js';
import { pathRole, pathRoleList } from './path-role.js';

const HELP = `
The JWT/OIDC auth method lets callers log in with a JSON Web Token signed by a
trusted issuer, or through an OpenID Connect provider in a browser. Configure
the keys at config, manage roles under role/, log in at login with a JWT, or
start a browser login at oidc/auth_url.`;

/** Test hooks of a mount: a clock, and the timing of the key cache. */
export interface BackendOptions {
  /** Milliseconds since the Unix epoch. */
  now?: () => number;
  keyCacheTiming?: KeyCacheTiming;
}

/** Creates the backend for one mount, and returns its shared state for tests. */
export function createJwtBackend(config: BackendConfig, options: BackendOptions = {}): { backend: Backend; context: JwtContext } {
  const now = options.now ?? Date.now;
  const context: JwtContext = {
    keys: new KeyCache(now, options.keyCacheTiming ?? DEFAULT_KEY_CACHE_TIMING),
    oidcStates: new OidcStateStore(now),
    roleLocks: new KeyedLock(),
    system: config.system,
    logger: config.logger,
    now,
  };
  // Every pattern is anchored and starts with a distinct literal, so no two
  // paths match one request and their order does not matter.
  const paths: PathDefinition<FieldMap>[] = [
    pathConfig(context),
    pathRoleList(),
    pathRole(context),
    pathLogin(context),
    pathOidcAuthUrl(context),
    pathOidcCallback(context),
  ];
  const backend = new Backend({
    backendType: 'credential',
    help: HELP,
    paths,
    specialPaths: { unauthenticated: ['login', 'oidc/auth_url', 'oidc/callback'] },
    authRenew: renewJwtLogin,
    invalidate: (key) => {
      if (key === 'config') context.keys.invalidate();
    },
  });
  return { backend, context };
}

/** Creates the backend for one mount. */
export function createBackend(config: BackendConfig, options: BackendOptions = {}): Backend {
  return createJwtBackend(config, options).backend;
}
