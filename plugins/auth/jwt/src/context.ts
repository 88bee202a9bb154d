/**
 * The state shared by every path of one JWT/OIDC mount.
 */
import type { KeyedLock, Logger, SystemView } from '@coffer/sdk';
import type { KeyCache } from './keys.js';
import type { OidcStateStore } from './oidc-state.js';

export interface JwtContext {
  /** Key sets and discovery documents fetched from the provider. */
  keys: KeyCache;
  /** Browser logins between `oidc/auth_url` and `oidc/callback`. */
  oidcStates: OidcStateStore;
  /** Serializes changes to one role, keyed by its lowercased name. */
  roleLocks: KeyedLock;
  system: SystemView;
  logger: Logger;
  /** Milliseconds since the Unix epoch; tests move it to expire tokens and states. */
  now(): number;
}
