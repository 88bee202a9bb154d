/**
 * `role/` (LIST) and `role/:name` (create, read, update, delete).
 */
import { definePath, nameSegment, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import type { JwtContext } from './context.js';
import { applyRoleFields, describeRole, ROLE_FIELDS, type RoleFields } from './role-fields.js';
import { deleteRole, listRoles, readRole, writeRole } from './roles.js';

export function pathRoleList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'role/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = await listRoles(request.storage);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the roles of this mount.',
    helpDescription: 'Returns the lowercased names of all roles.',
  });
}

export function pathRole(context: JwtContext): PathDefinition<FieldMap> {
  const write = (request: Request, fields: RoleFields) => writeRoleEntry(context, request, fields);
  return definePath({
    pattern: `role/${nameSegment('name')}`,
    fields: ROLE_FIELDS,
    existenceCheck: async (request, fields) => (await readRole(request.storage, fields.get('name'))) !== null,
    operations: {
      create: write,
      update: write,
      read: async (request, fields) => {
        const role = await readRole(request.storage, fields.get('name'));
        return role === null ? null : { data: describeRole(role) };
      },
      delete: async (request, fields) => {
        const name = fields.get('name');
        await context.roleLocks.run(name, () => deleteRole(request.storage, name));
        return null;
      },
    },
    helpSynopsis: 'Create, read, update or delete a role.',
    helpDescription: `
A role binds the claims a token must carry (bound_audiences, bound_subject,
bound_claims), names the claim that identifies the user (user_claim), and
sets the policies and token settings of a login. "jwt" roles log in at login
with a signed token; "oidc" roles (the default) through oidc/auth_url and
oidc/callback. Deleting a role does not revoke tokens it already issued, but
they can no longer be renewed.`,
  });
}

async function writeRoleEntry(context: JwtContext, request: Request, fields: RoleFields): Promise<Response | null> {
  const name = fields.get('name');
  return context.roleLocks.run(name, async () => {
    const existing = await readRole(request.storage, name);
    const { role, warnings } = applyRoleFields(existing, fields, context.system);
    await writeRole(request.storage, name, role);
    return warnings.length > 0 ? { warnings } : null;
  });
}
