/**
 * `groups/` and `groups/<name>`: the policies of a directory group. Unless
 * `case_sensitive_names` is set, names are lowercased, so "Admins" in the
 * directory and "admins" here are the same group.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { entryKey, GROUP_PREFIX, listNames, parsePolicies, readEntry, storedName, writeEntry, type GroupEntry } from './names.js';

const NAME_FIELD = { name: { type: 'string', description: 'Name of the LDAP group, as groupattr reports it.', required: true } } as const;

export function pathGroupsList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'groups/?',
    fields: {},
    operations: {
      // An empty list returns no response, so the server returns 404 as Vault does.
      list: async (request) => {
        const keys = await listNames(request.storage, GROUP_PREFIX);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the LDAP groups that have policies.',
    helpDescription: 'Returns the names of the groups configured under groups/.',
  });
}

export function pathGroups(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'groups/(?<name>.+)',
    fields: {
      ...NAME_FIELD,
      policies: { type: 'comma_string_slice', description: 'Policies granted to members of the group.' },
    },
    operations: {
      read: async (request, fields) => {
        const name = await storedName(request.storage, fields.get('name'));
        const group = await readEntry<GroupEntry>(request.storage, GROUP_PREFIX, name);
        return group === null ? null : { data: { policies: group.policies } };
      },
      update: async (request, fields) => {
        const name = await storedName(request.storage, fields.get('name'));
        await writeEntry(request.storage, GROUP_PREFIX, name, { policies: parsePolicies(fields.get('policies')) });
        return null;
      },
      delete: async (request, fields) => {
        const name = await storedName(request.storage, fields.get('name'));
        await request.storage.delete(entryKey(GROUP_PREFIX, name));
        return null;
      },
    },
    helpSynopsis: 'Manage the policies of an LDAP group.',
    helpDescription: `
Members of the group, as the directory reports them or as users/<name> lists
them, get these policies at login. Deleting a group does not revoke tokens
issued before.`,
  });
}
