/**
 * `role/:role_name/role-id`: reads the role ID, or sets a custom one.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { AppRoleContext } from './context.js';
import { ROLE_NAME_FIELD } from './role-fields.js';
import { readRole, requireRole, saveRole } from './roles.js';

const FIELDS = {
  role_name: ROLE_NAME_FIELD,
  role_id: { type: 'string', description: 'The new role ID.' },
} as const;

export function pathRoleId(context: AppRoleContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `role/${nameSegment('role_name')}/role-id`,
    fields: FIELDS,
    operations: {
      read: async (request, fields) => {
        const role = await readRole(request.storage, fields.get('role_name'));
        return role === null ? null : { data: { role_id: role.roleId } };
      },
      update: async (request, fields) => {
        const name = fields.get('role_name');
        const roleId = fields.get('role_id');
        if (roleId.trim() === '') throw badRequest('missing role_id: send "role_id" with the new role ID');

        return context.roleLocks.run(name, async () => {
          const role = await requireRole(request.storage, name);
          const previous = role.roleId;
          await saveRole(request.storage, context.salt, { ...role, roleId }, previous);
          return null;
        });
      },
    },
    helpSynopsis: "Read or set the role's role ID.",
    helpDescription: `
The role ID names the role at login. A read returns it; a write replaces it,
and the old role ID stops working at once. Secret IDs of the role stay valid.`,
  });
}
