/**
 * The AppRole auth method: machines log in with a role ID and a secret ID.
 *
 * Storage layout, relative to the mount's storage view:
 *
 *   salt                                         random salt of this mount's salted IDs
 *   role/<name>                                  a role (roles.ts)
 *   role_id/<salted role ID>                     index from role ID to role name
 *   secret_id/<HMAC of role name>/<HMAC of secret ID>
 *                                                a secret ID's settings (secret-ids.ts)
 *   accessor/<salted accessor>                   index from accessor to secret ID HMAC
 *
 * No role ID, secret ID or accessor is stored in clear. Role names are
 * case-insensitive and lowercased, as Vault does for roles it creates.
 */
import { Backend, KeyedLock, type BackendConfig, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { AppRoleContext } from './context.js';
import { pathLogin, renewRoleLogin } from './path-login.js';
import { pathRoleFields } from './path-role-fields.js';
import { pathRoleId } from './path-role-id.js';
import { pathRole, pathRoleList } from './path-role.js';
import { pathCustomSecretId, pathSecretId } from './path-secret-id.js';
import {
  pathSecretIdAccessorDestroy,
  pathSecretIdAccessorLookup,
  pathSecretIdDestroy,
  pathSecretIdLookup,
} from './path-secret-id-lookup.js';
import { pathTidySecretId } from './path-tidy.js';
import { MountSalt } from './salt.js';

const HELP = `
The AppRole auth method lets machines and services log in with a role ID and a
secret ID. Manage roles under role/, issue secret IDs at
role/<role_name>/secret-id, and log in at login.`;

/** Creates the backend for one mount. `now` exists for tests that expire secret IDs. */
export function createBackend(config: BackendConfig, now: () => number = Date.now): Backend {
  const context: AppRoleContext = {
    salt: new MountSalt(),
    roleLocks: new KeyedLock(),
    secretIdLocks: new KeyedLock(),
    system: config.system,
    logger: config.logger,
    now,
  };
  // Every pattern is anchored and starts with a distinct literal, so no two
  // paths match one request and their order does not matter.
  const paths: PathDefinition<FieldMap>[] = [
    pathLogin(context),
    pathRoleList(),
    pathRole(context),
    ...pathRoleFields(context),
    pathRoleId(context),
    pathSecretId(context),
    pathCustomSecretId(context),
    pathSecretIdLookup(context),
    pathSecretIdDestroy(context),
    pathSecretIdAccessorLookup(context),
    pathSecretIdAccessorDestroy(context),
    pathTidySecretId(context),
  ];
  return new Backend({
    backendType: 'credential',
    help: HELP,
    paths,
    specialPaths: { unauthenticated: ['login', 'login/*'] },
    authRenew: renewRoleLogin,
    invalidate: (key) => {
      if (key === 'salt') context.salt.invalidate();
    },
  });
}
