/**
 * The `identity/` backend: Vault's identity API over the identity store.
 *
 * The order of paths matters where a list path and a read path share a
 * prefix: `entity/name/?` comes before `entity/name/(?<name>.+)`, and the
 * same for groups, so that `LIST identity/entity/name/` lists. The TOTP
 * method paths come before `mfa/method/<method_id>` for the same reason.
 */
import { Backend } from '@coffer/sdk';
import { entityAliasPaths } from './path-entity-alias.js';
import { entityPaths } from './path-entity.js';
import { groupAliasPaths } from './path-group-alias.js';
import { groupPaths } from './path-group.js';
import { lookupPaths } from './path-lookup.js';
import { loginEnforcementPaths, methodPaths, totpMethodPaths, type LoginMfa } from './mfa/index.js';
import { OIDC_UNAUTHENTICATED_PATHS, oidcPaths, type OidcPathDeps } from './path-oidc.js';
import type { IdentityStore } from './store.js';

export function createIdentityBackend(store: IdentityStore, mfa: LoginMfa, oidc: Omit<OidcPathDeps, 'identity'>): Backend {
  return new Backend({
    backendType: 'logical',
    help: 'The identity store: entities, entity aliases, groups, group aliases and lookups, identity tokens, and login MFA.',
    specialPaths: { unauthenticated: OIDC_UNAUTHENTICATED_PATHS },
    paths: [
      ...entityPaths(store),
      ...entityAliasPaths(store),
      ...groupPaths(store),
      ...groupAliasPaths(store),
      ...lookupPaths(store),
      ...oidcPaths({ ...oidc, identity: store }),
      ...totpMethodPaths(mfa, oidc.callerEntityId),
      ...methodPaths(mfa),
      ...loginEnforcementPaths(mfa),
    ],
  });
}
