/**
 * Password rotation of static roles, by hand (`rotate-role`), on creation,
 * and on schedule from the periodic pass.
 *
 * Each rotation records the new password in the write-ahead log, sets it in
 * the directory, stores it, then deletes the record. When the directory
 * rejects the change, the record is deleted and the stored password stays.
 * A crash between setting and storing leaves the record, and the periodic
 * pass stores the recorded password if the account binds with it.
 */
import { badRequest, type Storage, type WalEntry } from '@coffer/sdk';
import { canBind, withDirectory } from './directory.js';
import { directoryCall, requireConfig, type EngineDeps } from './deps.js';
import { newPassword } from './password.js';
import { listNames, readStaticRole, STATIC_ROLE_PREFIX, writeStaticRole, type StaticRole } from './store.js';

export const WAL_KIND_STATIC = 'static-rotation';

/** Runs `task` after every earlier write, delete and rotation of static role `name` has settled. */
export function withStaticRole<T>(deps: EngineDeps, name: string, task: () => Promise<T>): Promise<T> {
  return deps.locks.run(STATIC_ROLE_PREFIX + name, task);
}

/**
 * Sets a new password for the account of static role `name` and stores it.
 * @throws CofferError (400) when the role does not exist.
 */
export async function rotateStaticRole(deps: EngineDeps, storage: Storage, name: string): Promise<StaticRole> {
  return withStaticRole(deps, name, async () => {
    const role = await readStaticRole(storage, name);
    if (role === null) throw badRequest(`unknown static role: ${name}`);
    return rotateStaticRoleNow(deps, storage, name, role);
  });
}

/**
 * Sets a new password for a role's account and stores the role with it.
 * Call it inside {@link withStaticRole} for `name`.
 * @param role - The role as stored, or as about to be stored when it is new.
 */
export async function rotateStaticRoleNow(deps: EngineDeps, storage: Storage, name: string, role: StaticRole): Promise<StaticRole> {
  const config = await requireConfig(storage);
  const password = await newPassword(deps.system, config);
  const walId = await deps.wal.put(WAL_KIND_STATIC, { name, dn: role.dn, password });
  try {
    await directoryCall(() => withDirectory(config, config.binddn, config.bindpass, (directory) => directory.setPassword(role.dn, password), [password]));
  } catch (err) {
    await deps.wal.delete(walId);
    throw err;
  }

  const rotated: StaticRole = { ...role, lastPassword: role.password, password, lastRotation: Date.now() };
  await writeStaticRole(storage, name, rotated);
  await deps.wal.delete(walId);
  deps.logger.info({ role: name, dn: role.dn }, 'ldap static role password rotated');
  return rotated;
}

/** Returns when the role's password is next due, in ms since the epoch. */
export function nextRotation(role: StaticRole): number {
  return (role.lastRotation > 0 ? role.lastRotation : role.createdAt) + role.rotationPeriod * 1000;
}

/** Rotates every static role whose rotation period has passed. One failure does not stop the others, and the next pass retries it. */
export async function rotateDueStaticRoles(deps: EngineDeps, storage: Storage, now = Date.now()): Promise<void> {
  for (const name of await listNames(storage, STATIC_ROLE_PREFIX)) {
    const role = await readStaticRole(storage, name);
    if (role === null || now < nextRotation(role)) continue;
    try {
      await withStaticRole(deps, name, async () => {
        // Another rotation may have run while this one waited for the lock.
        const current = await readStaticRole(storage, name);
        if (current === null || Date.now() < nextRotation(current)) return;
        await rotateStaticRoleNow(deps, storage, name, current);
      });
    } catch (err) {
      deps.logger.error({ err: (err as Error).message, role: name }, 'ldap static role rotation failed; retrying on the next pass');
    }
  }
}

/** Stores the password of an interrupted static rotation when the account binds with it. */
export async function rollForwardStatic(deps: EngineDeps, storage: Storage, entry: WalEntry): Promise<void> {
  const name = String(entry.data.name);
  const password = String(entry.data.password);
  await withStaticRole(deps, name, async () => {
    const role = await readStaticRole(storage, name);
    // A role deleted, recreated or rotated since the record was written no longer needs this password.
    if (role === null || role.dn !== entry.data.dn || role.lastRotation > entry.createdAt) return;
    const config = await requireConfig(storage);
    if (!(await canBind(config, role.dn, password))) return;
    await writeStaticRole(storage, name, { ...role, lastPassword: role.password, password, lastRotation: Date.now() });
  });
}
