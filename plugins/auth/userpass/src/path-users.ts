/**
 * `users/` (LIST) and `users/:username` (create, read, update, delete).
 */
import {
  badRequest,
  definePath,
  describeTokenSettings,
  nameSegment,
  TOKEN_FIELDS,
  type FieldData,
  type KeyedLock,
  type PathDefinition,
  type FieldMap,
  type Request,
} from '@coffer/sdk';
import type { PasswordHasher } from './password.js';
import { parseTokenSettings } from './token-settings.js';
import { deleteUser, listUsers, readUser, writeUser } from './user-store.js';

export interface UserPathDeps {
  hasher: PasswordHasher;
  locks: KeyedLock;
}

export const USERNAME_FIELD = {
  type: 'lowercase_string',
  description: 'Name of the user. Names are case-insensitive and stored in lowercase.',
  required: true,
} as const;

// NOTE: Vault's `password_hash` (a bcrypt hash given instead of a password)
// and its deprecated `ttl`, `max_ttl` and `bound_cidrs` fields are not
// supported. A request that sends one is rejected as an unknown field.
const USER_FIELDS = {
  username: USERNAME_FIELD,
  password: { type: 'string', description: 'Password of the user. Required when creating the user.' },
  ...TOKEN_FIELDS,
} as const;

export function pathUsersList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'users/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = await listUsers(request.storage);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the users of this mount.',
    helpDescription: 'Returns the lowercased names of all users that can log in here.',
  });
}

export function pathUsers(deps: UserPathDeps): PathDefinition<FieldMap> {
  const write = (request: Request, fields: FieldData<typeof USER_FIELDS>) => writeUserEntry(deps, request, fields);
  return definePath({
    pattern: `users/${nameSegment('username')}`,
    fields: USER_FIELDS,
    existenceCheck: async (request, fields) => (await readUser(request.storage, fields.get('username'))) !== null,
    operations: {
      create: write,
      update: write,
      read: async (request, fields) => {
        const user = await readUser(request.storage, fields.get('username'));
        return user === null ? null : { data: describeTokenSettings(user) };
      },
      delete: async (request, fields) => {
        await deleteUser(request.storage, fields.get('username'));
        return null;
      },
    },
    helpSynopsis: 'Create, read, update or delete a user.',
    helpDescription: `
A user logs in at login/<username> with its password and receives a token with
the user's token settings. The password is stored only as an argon2id hash.
Deleting a user does not revoke tokens it already received.`,
  });
}

/**
 * Creates the user or updates the fields the request sets. A new user needs
 * a password; an update keeps the stored hash unless it sends a new one.
 */
async function writeUserEntry(deps: UserPathDeps, request: Request, fields: FieldData<typeof USER_FIELDS>): Promise<null> {
  const username = fields.get('username');
  const password = fields.getIfSet('password');
  if (password === '') throw badRequest(`missing password: "password" of user "${username}" cannot be empty`);

  // Hash before taking the lock, so a slow hash does not hold up other writes.
  const newHash = password === undefined ? undefined : await deps.hasher.hash(password);

  return deps.locks.run(username, async () => {
    const existing = await readUser(request.storage, username);
    if (existing === null && newHash === undefined) {
      throw badRequest(`missing password: set "password" to create user "${username}"`);
    }
    const settings = parseTokenSettings(fields, existing ?? undefined);
    const passwordHash = newHash ?? existing!.passwordHash;

    await writeUser(request.storage, username, { ...settings, passwordHash });
    return null;
  });
}
