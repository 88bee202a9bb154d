/**
 * `users/:username/password`: replaces the password of an existing user.
 */
import { badRequest, definePath, nameSegment, notFound, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { USERNAME_FIELD, type UserPathDeps } from './path-users.js';
import { readUser, writeUser } from './user-store.js';

const FIELDS = {
  username: USERNAME_FIELD,
  password: { type: 'string', description: 'The new password.' },
} as const;

export function pathUserPassword(deps: UserPathDeps): PathDefinition<FieldMap> {
  return definePath({
    pattern: `users/${nameSegment('username')}/password`,
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const username = fields.get('username');
        const password = fields.get('password');
        if (password === '') throw badRequest(`missing password: set "password" to the new password of user "${username}"`);

        const passwordHash = await deps.hasher.hash(password);
        return deps.locks.run(username, async () => {
          const user = await readUser(request.storage, username);
          if (user === null) throw notFound(`username "${username}" does not exist`);
          await writeUser(request.storage, username, { ...user, passwordHash });
          return null;
        });
      },
    },
    helpSynopsis: "Reset a user's password.",
    helpDescription: 'Replaces the password of an existing user. Tokens issued before stay valid.',
  });
}
