/**
 * sys/policies/password: listing, reading, writing and deleting password
 * policies, and generating a password from one, with Vault's paths, status
 * codes and response shapes. None of these paths needs sudo in Vault, so
 * each needs only the capability of its operation.
 */
import { badRequest, definePath, notFound, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { passwordPolicyNameProblem, type PasswordPolicyStore } from './store.js';

const NAME_FIELD = { type: 'string', description: 'Name of the password policy.', required: true } as const;

function notFoundError(name: string) {
  return notFound(`password policy "${name}" not found`);
}

/** Declares the sys/policies/password paths, relative to `sys/`. The generate path comes first, because the name pattern would also match it. */
export function passwordPolicyPaths(store: PasswordPolicyStore): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'policies/password/?',
      fields: {},
      operations: {
        async list() {
          const keys = await store.list();
          return keys.length === 0 ? null : { data: { keys } };
        },
      },
      helpSynopsis: 'List the password policies.',
      helpDescription: 'Returns the names of the password policies under "keys".',
    }),
    definePath({
      pattern: 'policies/password/(?<name>[^/]+)/generate',
      fields: { name: NAME_FIELD },
      operations: {
        async read(_request, fields) {
          const name = fields.get('name');
          const password = await store.generate(name);
          if (password === null) throw notFoundError(name);
          return { data: { password } };
        },
      },
      helpSynopsis: 'Generate a password from a password policy.',
      helpDescription: 'Returns a new password under "password", drawn with a cryptographically secure generator from the named policy.',
    }),
    definePath({
      pattern: 'policies/password/(?<name>.+)',
      fields: {
        name: NAME_FIELD,
        policy: { type: 'string', description: 'The password policy document, HCL or JSON, optionally base64-encoded.' },
      },
      operations: {
        async read(_request, fields) {
          const name = fields.get('name');
          const problem = passwordPolicyNameProblem(name);
          if (problem !== undefined) throw badRequest(problem);
          const policy = await store.get(name);
          if (policy === null) throw notFoundError(name);
          return { data: { policy } };
        },
        async update(_request, fields) {
          await store.put(fields.get('name'), fields.get('policy'));
          return null;
        },
        async delete(_request, fields) {
          await store.delete(fields.get('name'));
          return null;
        },
      },
      helpSynopsis: 'Read, write or delete a password policy.',
      helpDescription: `
A password policy sets the length of generated passwords and the charsets they
draw from, with a minimum count per charset. A write checks the document and
generates ten passwords from it within one second before storing it, so a bad
or too restrictive policy changes nothing.`,
    }),
  ];
}
