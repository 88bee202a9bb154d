/**
 * Roles as stored in the mount's storage:
 *
 *   role/<lowercased name>        the role (RoleEntry as JSON)
 *   role_id/<salted role ID>      the name of the role that owns the role ID
 *
 * The index lets a login find its role without listing all roles. A write
 * adds the new index entry before the role and removes the old one after,
 * so a crash can leave a stale index entry but never a role without one.
 * A login through a stale entry fails, because the role it finds carries
 * another role ID.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { badRequest, notFound, type Storage, type TokenSettings } from '@coffer/sdk';
import { type MountSalt, secretsEqual } from './salt.js';

export interface RoleEntry extends TokenSettings {
  /** Lowercased role name, also the storage key. */
  name: string;
  /** The login credential that names the role. */
  roleId: string;
  /** Random key of the HMACs under which this role's secret IDs are stored. */
  hmacKey: string;
  /** Whether a login must present a secret ID. */
  bindSecretId: boolean;
  /** Addresses that may log in with this role; empty allows any. */
  secretIdBoundCidrs: string[];
  /** Default use limit of new secret IDs; 0 is unlimited. */
  secretIdNumUses: number;
  /** Default lifetime of new secret IDs in seconds; 0 never expires. */
  secretIdTtl: number;
  /** Set at creation only. Coffer has no replication, so it only picks the storage prefix, as in Vault. */
  localSecretIds: boolean;
}

const ROLE_PREFIX = 'role/';
const ROLE_ID_PREFIX = 'role_id/';

/** Returns the settings of a role that has just been named, before the request's fields apply. */
export function newRole(name: string, settings: TokenSettings): RoleEntry {
  return {
    ...settings,
    name,
    roleId: randomUUID(),
    hmacKey: randomBytes(32).toString('hex'),
    bindSecretId: true,
    secretIdBoundCidrs: [],
    secretIdNumUses: 0,
    secretIdTtl: 0,
    localSecretIds: false,
  };
}

export async function readRole(storage: Storage, name: string): Promise<RoleEntry | null> {
  const entry = await storage.get(ROLE_PREFIX + name);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as RoleEntry);
}

/**
 * Returns the role, for a request that needs it to exist.
 * @throws CofferError (404) naming the role.
 */
export async function requireRole(storage: Storage, name: string): Promise<RoleEntry> {
  const role = await readRole(storage, name);
  if (role === null) throw notFound(`role "${name}" does not exist`);
  return role;
}

export async function listRoles(storage: Storage): Promise<string[]> {
  return storage.list(ROLE_PREFIX);
}

/**
 * Checks that a login with the role proves something: a secret ID or the
 * caller's address.
 * @throws CofferError (400) with Vault's text and the fix.
 */
export function checkRoleConstraints(role: RoleEntry): void {
  if (role.bindSecretId || role.secretIdBoundCidrs.length > 0 || role.tokenBoundCidrs.length > 0) return;
  throw badRequest(
    'at least one constraint should be enabled on the role: set "bind_secret_id" to true, or set "secret_id_bound_cidrs" or "token_bound_cidrs"',
  );
}

/**
 * Writes the role and its role ID index.
 * @param previousRoleId - The role ID before this change; its index entry is removed when it changed.
 * @throws CofferError (400) when the role has no constraint or another role owns the role ID.
 */
export async function saveRole(storage: Storage, salt: MountSalt, role: RoleEntry, previousRoleId?: string): Promise<void> {
  checkRoleConstraints(role);
  const indexKey = ROLE_ID_PREFIX + (await salt.saltedId(storage, role.roleId));
  const owner = await storage.get(indexKey);
  const ownerName = owner === null ? null : (JSON.parse(owner.value.toString('utf8')) as { name: string }).name;
  if (ownerName !== null && ownerName !== role.name) {
    const current = await readRole(storage, ownerName);
    if (current !== null && current.roleId === role.roleId) {
      throw badRequest('role_id already in use: another role has this role ID, choose a different "role_id"');
    }
  }

  if (ownerName !== role.name) await storage.put({ key: indexKey, value: Buffer.from(JSON.stringify({ name: role.name })) });
  await storage.put({ key: ROLE_PREFIX + role.name, value: Buffer.from(JSON.stringify(role)) });
  if (previousRoleId !== undefined && previousRoleId !== role.roleId) {
    await storage.delete(ROLE_ID_PREFIX + (await salt.saltedId(storage, previousRoleId)));
  }
}

/** Deletes the role and its index entry; the caller removes its secret IDs first. */
export async function deleteRoleEntries(storage: Storage, salt: MountSalt, role: RoleEntry): Promise<void> {
  await storage.delete(ROLE_PREFIX + role.name);
  await storage.delete(ROLE_ID_PREFIX + (await salt.saltedId(storage, role.roleId)));
}

/** Returns the role that owns `roleId`, or null; the final comparison runs in constant time. */
export async function findRoleByRoleId(storage: Storage, salt: MountSalt, roleId: string): Promise<RoleEntry | null> {
  const index = await storage.get(ROLE_ID_PREFIX + (await salt.saltedId(storage, roleId)));
  if (index === null) return null;

  const { name } = JSON.parse(index.value.toString('utf8')) as { name: string };
  const role = await readRole(storage, name);
  if (role === null || !secretsEqual(role.roleId, roleId)) return null;
  return role;
}
