/**
 * Check-out and check-in of library accounts. Each sets a new password, so
 * a borrower's password stops working when the account comes back, and
 * the next borrower gets a password no earlier borrower received.
 *
 * A password change follows the order of static roles: record it in the
 * write-ahead log, set it in the directory, store it, delete the record.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { badRequest, type Storage, type WalEntry } from '@coffer/sdk';
import { canBind, withDirectory } from './directory.js';
import { directoryCall, requireConfig, type EngineDeps } from './deps.js';
import { newPassword } from './password.js';
import { LIBRARY_PREFIX, readLibraryAccount, readLibrarySet, writeLibraryAccount, type LibraryAccount, type LibrarySet } from './store.js';

export const WAL_KIND_LIBRARY = 'library-rotation';

/** Runs `task` after every earlier change to library set `name` and its accounts has settled. */
export function withLibrarySet<T>(deps: EngineDeps, name: string, task: () => Promise<T>): Promise<T> {
  return deps.locks.run(LIBRARY_PREFIX + name, task);
}

/** Returns the stored set. @throws CofferError (400) when there is none. */
export async function requireLibrarySet(storage: Storage, name: string): Promise<LibrarySet> {
  const set = await readLibrarySet(storage, name);
  if (set === null) throw badRequest(`unknown library set: ${name}`);
  return set;
}

/**
 * Lends the first available account of set `name` to the caller with a new password.
 * Call it inside {@link withLibrarySet}.
 * @throws CofferError (400) when every account is checked out.
 */
export async function checkOut(deps: EngineDeps, storage: Storage, name: string, borrowerClientToken: string): Promise<{ account: string; state: LibraryAccount }> {
  const set = await requireLibrarySet(storage, name);
  for (const account of set.serviceAccountNames) {
    const state = await readLibraryAccount(storage, account);
    if (state === null || state.checkOut !== null) continue;
    const rotated = await setAccountPassword(deps, storage, account, state);
    const lent: LibraryAccount = { ...rotated, checkOut: { id: randomUUID(), borrowerClientToken } };
    await writeLibraryAccount(storage, account, lent);
    deps.logger.info({ set: name, account }, 'ldap library account checked out');
    return { account, state: lent };
  }
  throw badRequest(`no service accounts are available for check-out in library set "${name}"; check one in first`);
}

/**
 * Takes an account back: sets a new password and marks it available.
 * Call it inside {@link withLibrarySet}.
 */
export async function checkIn(deps: EngineDeps, storage: Storage, account: string, state: LibraryAccount): Promise<void> {
  const rotated = await setAccountPassword(deps, storage, account, state);
  await writeLibraryAccount(storage, account, { ...rotated, checkOut: null });
  deps.logger.info({ set: state.set, account }, 'ldap library account checked in');
}

/** Returns true when `state` is checked out by the holder of `clientToken`, compared in constant time. */
export function borrowedBy(state: LibraryAccount, clientToken: string): boolean {
  if (state.checkOut === null) return false;
  const expected = Buffer.from(state.checkOut.borrowerClientToken);
  const actual = Buffer.from(clientToken);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Sets and stores a new password for a library account; returns the account with it. */
async function setAccountPassword(deps: EngineDeps, storage: Storage, account: string, state: LibraryAccount): Promise<LibraryAccount> {
  const config = await requireConfig(storage);
  const password = await newPassword(deps.system, config);
  const walId = await deps.wal.put(WAL_KIND_LIBRARY, { account, dn: state.dn, password });
  try {
    await directoryCall(() => withDirectory(config, config.binddn, config.bindpass, (directory) => directory.setPassword(state.dn, password), [password]));
  } catch (err) {
    await deps.wal.delete(walId);
    throw err;
  }
  const updated = { ...state, password };
  await writeLibraryAccount(storage, account, updated);
  await deps.wal.delete(walId);
  return updated;
}

/** Stores the password of an interrupted library rotation when the account binds with it. */
export async function rollForwardLibrary(deps: EngineDeps, storage: Storage, entry: WalEntry): Promise<void> {
  const account = String(entry.data.account);
  const password = String(entry.data.password);
  const state = await readLibraryAccount(storage, account);
  if (state === null || state.dn !== entry.data.dn || state.password === password) return;
  await withLibrarySet(deps, state.set, async () => {
    const current = await readLibraryAccount(storage, account);
    if (current === null || current.dn !== entry.data.dn) return;
    const config = await requireConfig(storage);
    if (!(await canBind(config, current.dn, password))) return;
    await writeLibraryAccount(storage, account, { ...current, password });
  });
}
