/**
 * `users/` and `users/<name>`: the policies of one RADIUS user. A user with
 * an entry gets its policies at login instead of the config's
 * unregistered_user_policies.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { deleteUser, listUsers, parsePolicies, readUser, rootPolicyProblem, writeUser } from './users.js';

export function pathUsersList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'users/?',
    fields: {},
    operations: {
      // An empty list returns no response, so the server returns 404 as Vault does.
      list: async (request) => {
        const keys = await listUsers(request.storage);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the RADIUS users that have policies.',
    helpDescription: 'Returns the names of the users configured under users/.',
  });
}

export function pathUsers(): PathDefinition<FieldMap> {
  return definePath({
    pattern: `users/${nameSegment('name')}`,
    fields: {
      name: { type: 'string', description: 'Name of the RADIUS user; case-insensitive.', required: true },
      policies: { type: 'comma_string_slice', description: 'Policies granted to the user at login.' },
      token_policies: { type: 'comma_string_slice', description: 'Synonym of "policies"; "policies" wins when both are set.' },
    },
    operations: {
      read: async (request, fields) => {
        const user = await readUser(request.storage, fields.get('name'));
        return user === null ? null : { data: { policies: user.policies } };
      },
      update: async (request, fields) => {
        const field = fields.has('policies') ? 'policies' : 'token_policies';
        const policies = parsePolicies(fields.get(field));
        const problem = rootPolicyProblem(field, policies);
        if (problem !== null) throw badRequest(problem);

        await writeUser(request.storage, fields.get('name'), { policies });
        return null;
      },
      delete: async (request, fields) => {
        await deleteUser(request.storage, fields.get('name'));
        return null;
      },
    },
    helpSynopsis: 'Manage the policies of a RADIUS user.',
    helpDescription: `
The user gets these policies, and the config's token_policies, at login.
Deleting a user does not revoke tokens issued before, but their renewal
fails unless the user then maps to the same policies.`,
  });
}
