/**
 * `users/:username/policies`: replaces the token policies of an existing user.
 */
import { badRequest, definePath, nameSegment, notFound, TOKEN_FIELDS, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { USERNAME_FIELD, type UserPathDeps } from './path-users.js';
import { readUser, writeUser } from './user-store.js';

const FIELDS = {
  username: USERNAME_FIELD,
  token_policies: TOKEN_FIELDS.token_policies,
  policies: TOKEN_FIELDS.policies,
} as const;

export function pathUserPolicies(deps: UserPathDeps): PathDefinition<FieldMap> {
  return definePath({
    pattern: `users/${nameSegment('username')}/policies`,
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const username = fields.get('username');
        const policies = fields.getIfSet('token_policies') ?? fields.getIfSet('policies');
        if (policies === undefined) {
          throw badRequest('missing token_policies: send the list of policies, or an empty list to remove them all');
        }

        return deps.locks.run(username, async () => {
          const user = await readUser(request.storage, username);
          if (user === null) throw notFound(`username "${username}" does not exist`);
          await writeUser(request.storage, username, { ...user, tokenPolicies: policies });
          return null;
        });
      },
    },
    helpSynopsis: 'Update the policies of a user.',
    helpDescription: 'Replaces the token policies of an existing user; later logins get the new list.',
  });
}
