/**
 * Password rotation of static roles and of a connection's root account.
 *
 * Both follow one order so a crash cannot lose a password: record the new
 * password in the write-ahead log, set it in the database, store it, then
 * delete the record. The periodic pass finds a record left behind and
 * finishes the change: it sets the recorded password again, which is
 * harmless when the database already has it, and stores it.
 */
import { badRequest, type Logger, type Storage, type SystemView, type WalEntry, type WriteAheadLog } from '@coffer/sdk';
import type { Connections } from './connections.js';
import { newPassword } from './password.js';
import { listNames, readConnection, readStaticRole, STATIC_ROLE_PREFIX, writeConnection, writeStaticRole, type StaticRole } from './store.js';

export const WAL_KIND_STATIC = 'static-rotation';
export const WAL_KIND_ROOT = 'root-rotation';

export interface RotationDeps {
  connections: Connections;
  wal: WriteAheadLog;
  logger: Logger;
  system: SystemView;
}

/**
 * Runs `task` after every earlier change to static role `name` has
 * settled: its writes, deletes and rotations, so none of them writes back a
 * role that another one changed meanwhile.
 */
export function withStaticRole<T>(deps: RotationDeps, name: string, task: () => Promise<T>): Promise<T> {
  return deps.connections.exclusive(`${STATIC_ROLE_PREFIX}${name}`, task);
}

/**
 * Sets a new password for the account of static role `name` and stores it.
 * The role is read when the rotation's turn comes, so an update that ran
 * while it waited is kept.
 * @returns The role with its new password and rotation time.
 * @throws CofferError (400) when the role was deleted meanwhile.
 */
export async function rotateStaticRole(deps: RotationDeps, storage: Storage, name: string): Promise<StaticRole> {
  return withStaticRole(deps, name, async () => {
    const role = await readStaticRole(storage, name);
    if (role === null) throw badRequest(`unknown role: ${name}`);
    return rotateStaticRoleNow(deps, storage, name, role);
  });
}

/**
 * Sets a new password for a role's account and stores the role with it.
 * Call it inside {@link withStaticRole} for `name`.
 * @param role - The role as stored, or as about to be stored when it is new.
 */
export async function rotateStaticRoleNow(deps: RotationDeps, storage: Storage, name: string, role: StaticRole): Promise<StaticRole> {
  const { config } = await deps.connections.get(storage, role.dbName);
  const password = await newPassword(deps.system, config);
  const walId = await deps.wal.put(WAL_KIND_STATIC, { name, role: { ...role, password } });
  const rotated = await applyStaticPassword(deps, storage, name, { ...role, password });
  await deps.wal.delete(walId);
  deps.logger.info({ role: name, dbName: role.dbName }, 'static role password rotated');
  return rotated;
}

async function applyStaticPassword(deps: RotationDeps, storage: Storage, name: string, role: StaticRole): Promise<StaticRole> {
  const { database } = await deps.connections.get(storage, role.dbName);
  await database.updateUser({ username: role.username, password: { newPassword: role.password, statements: { commands: role.rotationStatements } } });
  const rotated = { ...role, lastRotation: Date.now() };
  await writeStaticRole(storage, name, rotated);
  return rotated;
}

/**
 * Sets a new password for the root account of connection `name`, stores it,
 * and reopens the connection with it.
 * @throws CofferError (400) when the connection has no username or password to rotate.
 */
export async function rotateRoot(deps: RotationDeps, storage: Storage, name: string): Promise<void> {
  await deps.connections.exclusive(`config/${name}`, () => rotateRootNow(deps, storage, name));
}

async function rotateRootNow(deps: RotationDeps, storage: Storage, name: string): Promise<void> {
  const config = await readConnection(storage, name);
  if (config === null) throw badRequest(`no connection named "${name}": write config/${name} first`);
  const username = config.connectionDetails.username;
  if (typeof username !== 'string' || username === '') {
    throw badRequest(`unable to rotate root credentials: connection "${name}" has no "username" setting`);
  }
  const password = await newPassword(deps.system, config);
  const walId = await deps.wal.put(WAL_KIND_ROOT, { name, password });

  const { database } = await deps.connections.get(storage, name);
  await database.updateUser({ username, password: { newPassword: password, statements: { commands: config.rootRotationStatements } } });
  await writeConnection(storage, name, { ...config, connectionDetails: { ...config.connectionDetails, password } });
  await deps.connections.close(name);
  await deps.wal.delete(walId);
  deps.logger.info({ connection: name }, 'root credentials rotated');
}

/**
 * Finishes a rotation a crash interrupted. Throwing keeps the record for the
 * next pass.
 */
export async function rollForward(deps: RotationDeps, storage: Storage, entry: WalEntry): Promise<void> {
  if (entry.kind === WAL_KIND_STATIC) {
    const name = String(entry.data.name);
    const recorded = entry.data.role as StaticRole;
    const stored = await readStaticRole(storage, name);
    // A role deleted or rotated again since the record was written no longer needs this password.
    if (stored === null || stored.username !== recorded.username || stored.lastRotation > entry.createdAt) return;
    await applyStaticPassword(deps, storage, name, recorded);
    return;
  }
  if (entry.kind === WAL_KIND_ROOT) {
    const name = String(entry.data.name);
    const config = await readConnection(storage, name);
    if (config === null) return;
    const candidate = { ...config, connectionDetails: { ...config.connectionDetails, password: String(entry.data.password) } };
    // The database has the new password when the recorded one can connect; otherwise it kept the stored one.
    const database = await deps.connections.create(candidate, true).catch(() => undefined);
    if (database === undefined) return;
    await database.close();
    await writeConnection(storage, name, candidate);
    await deps.connections.close(name);
  }
}

/** Rotates every static role whose rotation period has passed. One failure does not stop the others. */
export async function rotateDueStaticRoles(deps: RotationDeps, storage: Storage, now = Date.now()): Promise<void> {
  for (const name of await listNames(storage, STATIC_ROLE_PREFIX)) {
    const role = await readStaticRole(storage, name);
    if (role === null || now < role.lastRotation + role.rotationPeriod * 1000) continue;
    try {
      await rotateStaticRole(deps, storage, name);
    } catch (err) {
      deps.logger.error({ err: (err as Error).message, role: name }, 'static role rotation failed; retrying on the next pass');
    }
  }
}
