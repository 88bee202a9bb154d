/**
 * `users/` and `users/<name>`: policies and extra local groups of one LDAP
 * user. Unless `case_sensitive_names` is set, the user name and the group
 * names are lowercased.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { readConfig } from './config.js';
import {
  canonicalName,
  entryKey,
  listNames,
  parsePolicies,
  readEntry,
  storedName,
  uniqueSorted,
  USER_PREFIX,
  writeEntry,
  type UserEntry,
} from './names.js';

export function pathUsersList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'users/?',
    fields: {},
    operations: {
      // An empty list returns no response, so the server returns 404 as Vault does.
      list: async (request) => {
        const keys = await listNames(request.storage, USER_PREFIX);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the LDAP users that have local policies or groups.',
    helpDescription: 'Returns the names of the users configured under users/.',
  });
}

export function pathUsers(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'users/(?<name>.+)',
    fields: {
      name: { type: 'string', description: 'Login name of the LDAP user.', required: true },
      groups: { type: 'comma_string_slice', description: 'Local groups the user belongs to in addition to the directory groups.' },
      policies: { type: 'comma_string_slice', description: 'Policies granted to the user.' },
    },
    operations: {
      read: async (request, fields) => {
        const name = await storedName(request.storage, fields.get('name'));
        const user = await readEntry<UserEntry>(request.storage, USER_PREFIX, name);
        // Vault returns the groups as one comma-separated string.
        return user === null ? null : { data: { groups: user.groups.join(','), policies: user.policies } };
      },
      update: async (request, fields) => {
        const config = await readConfig(request.storage);
        const caseSensitive = config?.caseSensitiveNames ?? false;
        const name = canonicalName(fields.get('name'), caseSensitive);
        const entry: UserEntry = {
          groups: uniqueSorted(fields.get('groups'), !caseSensitive),
          policies: parsePolicies(fields.get('policies')),
        };
        await writeEntry(request.storage, USER_PREFIX, name, entry);
        return null;
      },
      delete: async (request, fields) => {
        const name = await storedName(request.storage, fields.get('name'));
        await request.storage.delete(entryKey(USER_PREFIX, name));
        return null;
      },
    },
    helpSynopsis: 'Manage the policies and local groups of an LDAP user.',
    helpDescription: `
The user gets these policies at login, plus the policies of the listed local
groups, plus those of the groups the directory reports. Deleting a user does
not revoke tokens issued before.`,
  });
}
