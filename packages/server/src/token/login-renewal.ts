/**
 * Renewing tokens that auth methods issued. As in Vault's token store, the
 * method that issued the token is asked first: it confirms that the login
 * is still valid and returns the TTL limits the renewal gets.
 */
import { randomUUID } from 'node:crypto';
import { CofferError, type LogicalBackend, type Request, type RequestConnection, type Storage, type SystemView } from '@coffer/sdk';
import type { TokenEntry } from './token-entry.js';
import { renewedLoginExpiry } from './token-ttl.js';

/** The auth mount that issued a token. */
export interface LoginMount {
  backend: LogicalBackend;
  storage: Storage;
  /** With the `auth/` prefix and a trailing `/`, e.g. `auth/userpass/`. */
  mountPoint: string;
  mountType: string;
  system: SystemView;
  /** Sets the external group memberships of an entity from the group names a renewal reported. */
  refreshGroups(entityId: string, groupNames: string[]): Promise<void>;
}

/** True for a token an auth method issued at login, not one of the token store's own. */
export function isLoginToken(entry: TokenEntry): boolean {
  return entry.path.startsWith('auth/') && !entry.path.startsWith('auth/token/');
}

/**
 * Asks the auth method behind `mount` to renew the login of `entry`, then
 * computes the token's new expiry. The method gets the renewing client's
 * TLS `connection`, when there is one. Group names in the method's response
 * refresh the external groups of the token's entity.
 * @throws CofferError from the method (for example 400 when the login's
 *   policies changed), 405 when the method cannot renew, or 400 when the
 *   method is no longer mounted.
 */
export async function renewLogin(
  mount: LoginMount | undefined,
  entry: TokenEntry,
  increment: number,
  now = Date.now(),
  connection?: RequestConnection,
): Promise<{ expireTime: number; ttl: number; warnings: string[] }> {
  if (mount === undefined) {
    throw new CofferError('COFFER_ERR_NO_ROUTE', 400, `no auth method is mounted at the token's login path "${entry.path}"; it cannot be renewed`);
  }

  const request: Request = {
    id: randomUUID(),
    operation: 'renew',
    path: entry.path.slice(mount.mountPoint.length),
    data: {},
    storage: mount.storage,
    mountPoint: mount.mountPoint,
    mountType: mount.mountType,
    // Vault sends login renewals without a client token too.
    clientToken: '',
    headers: {},
    ...(connection !== undefined ? { connection } : {}),
    auth: {
      policies: [...entry.policies],
      metadata: { ...(entry.meta ?? {}) },
      internalData: structuredClone(entry.internalData ?? {}),
      displayName: entry.displayName,
      ttl: entry.creationTtl,
      period: entry.period,
      explicitMaxTtl: entry.explicitMaxTtl,
      issueTime: new Date(entry.creationTime * 1000).toISOString(),
      increment,
      entityId: entry.entityId,
    },
  };
  const response = await mount.backend.handleRequest(request);
  const granted = response?.auth;
  if (granted === undefined) {
    throw new CofferError('COFFER_ERR_INTERNAL', 500, `auth method at "${mount.mountPoint}" returned no login when renewing the token`);
  }

  const renewed = renewedLoginExpiry({
    creationTime: entry.creationTime,
    increment,
    backendTtl: granted.ttl ?? 0,
    backendMaxTtl: granted.maxTtl ?? 0,
    period: granted.period ?? 0,
    explicitMaxTtl: entry.explicitMaxTtl,
    defaultTtl: mount.system.defaultLeaseTtl(),
    maxTtl: mount.system.maxLeaseTtl(),
    now,
  });

  // As at login, the groups the method reports decide the entity's external
  // groups, so a user removed from a directory group loses its policies.
  if (entry.entityId !== '' && granted.groupAliases !== undefined) {
    await mount.refreshGroups(entry.entityId, granted.groupAliases.map((alias) => alias.name));
  }
  return renewed;
}
