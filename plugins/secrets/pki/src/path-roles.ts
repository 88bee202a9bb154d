/**
 * `roles/` and `roles/:name`: list, write, patch, read and delete roles.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { PkiContext } from './context.js';
import { defaultRole, readRole, roleFromFields, roleResponse, ROLE_FIELDS, writeRole } from './roles.js';
import { ROLE_PREFIX } from './store.js';

const NAME_FIELD = { name: { type: 'string', description: 'Name of the role.' } } as const;

export function pathListRoles(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'roles/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = (await request.storage.list(ROLE_PREFIX)).filter((name) => !name.endsWith('/'));
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the names of the roles.',
    helpDescription: 'Lists the names of the roles of the mount.',
  });
}

export function pathRoles(context: PkiContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `roles/${nameSegment('name')}`,
    fields: { ...NAME_FIELD, ...ROLE_FIELDS },
    existenceCheck: async (request, fields) => (await request.storage.get(ROLE_PREFIX + fields.get('name'))) !== null,
    operations: {
      create: async (request, fields) => {
        const role = roleFromFields(fields, defaultRole());
        await context.locks.run(`role/${fields.get('name')}`, () => writeRole(request.storage, fields.get('name'), role));
        return roleResponse(fields, role);
      },
      update: async (request, fields) => {
        const role = roleFromFields(fields, defaultRole());
        await context.locks.run(`role/${fields.get('name')}`, () => writeRole(request.storage, fields.get('name'), role));
        return roleResponse(fields, role);
      },
      patch: async (request, fields) => {
        const name = fields.get('name');
        return context.locks.run(`role/${name}`, async () => {
          const current = await readRole(request.storage, name);
          if (current === null) throw badRequest(`role "${name}" not found: a patch needs an existing role; write the role first`);
          const role = roleFromFields(fields, current);
          await writeRole(request.storage, name, role);
          return roleResponse(fields, role);
        });
      },
      read: async (request, fields) => {
        const role = await readRole(request.storage, fields.get('name'));
        return role === null ? null : { data: { ...role } };
      },
      delete: async (request, fields) => {
        await context.locks.run(`role/${fields.get('name')}`, () => request.storage.delete(ROLE_PREFIX + fields.get('name')));
        return null;
      },
    },
    helpSynopsis: 'Manage the roles that certificates are issued and signed under.',
    helpDescription: `
A write replaces the whole role, with Vault's defaults for every field it
leaves out; a patch changes only the fields it sends. A read returns every
setting, durations in seconds. Deleting a role does not revoke the
certificates issued under it.`,
  });
}
