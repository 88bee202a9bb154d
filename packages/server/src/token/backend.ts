/**
 * The token auth backend at `auth/token/`: creating, looking up, renewing
 * and revoking tokens, roles, accessors and tidy.
 */
import { Backend, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { CallerContext } from './caller.js';
import type { LoginMount } from './login-renewal.js';
import { createPaths } from './path-create.js';
import { lookupPaths } from './path-lookup.js';
import { renewPaths } from './path-renew.js';
import { revokePaths } from './path-revoke.js';
import { rolePaths } from './path-roles.js';
import type { TokenRoles } from './roles.js';
import type { TokenEntry } from './token-entry.js';
import type { TokenStore } from './token-store.js';

export interface TokenBackendDeps {
  store: TokenStore;
  roles: TokenRoles;
  /** The caller of a request in flight, recorded by the pipeline. */
  caller(requestId: string): CallerContext | undefined;
  /** Default and max TTL in seconds of the token mount. */
  ttlDefaults(): { defaultTtl: number; maxTtl: number };
  /** Called once a token is stored, to schedule its expiry. */
  onCreated(entry: TokenEntry): Promise<void>;
  /** Called after a renewal moved a token's expiry. */
  onRenewed(entry: TokenEntry): Promise<void>;
  /** The auth mount serving a login path such as `auth/userpass/login/alice`, if one does. */
  loginMount(path: string): LoginMount | undefined;
  /** Policies that an entity and its groups add to the entity's tokens. */
  identityPolicies(entityId: string): Promise<string[]>;
  /**
   * Returns the ID of the entity of an alias on the token mount, creating
   * both when missing.
   * @throws CofferError (403) when the entity is disabled.
   */
  entityOfAlias(name: string): Promise<string>;
}

function accessorPaths(deps: TokenBackendDeps): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'accessors/?',
      fields: {},
      operations: {
        async list() {
          const keys = await deps.store.listAccessors();
          return keys.length === 0 ? null : { data: { keys } };
        },
      },
      helpSynopsis: 'List token accessors.',
      helpDescription: 'Returns the accessor of every stored token. Needs sudo.',
    }),
    definePath({
      pattern: 'tidy',
      fields: {},
      operations: {
        async update() {
          await deps.store.tidy();
          return { data: null, warnings: ['Tidy operation successfully started. Any information from the operation will be printed to Vault\'s server logs.'] };
        },
      },
      helpSynopsis: 'Clean up the token store.',
      helpDescription: 'Removes accessor and parent index entries that point at no token, and revokes expired tokens.',
    }),
  ];
}

export function createTokenBackend(deps: TokenBackendDeps): Backend {
  return new Backend({
    backendType: 'credential',
    help: 'The token store: every request is authenticated by a token.',
    paths: [...createPaths(deps), ...lookupPaths(deps), ...renewPaths(deps), ...revokePaths(deps), ...rolePaths(deps), ...accessorPaths(deps)],
    specialPaths: { root: ['revoke-orphan', 'accessors/', 'accessors'] },
  });
}
