/**
 * `role/` (LIST) and `role/:role_name` (create, read, update, delete).
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition, type Request, type Response, type Storage } from '@coffer/sdk';
import type { AppRoleContext } from './context.js';
import { applyRoleFields, describeRole, ROLE_FIELDS, type RoleFields } from './role-fields.js';
import { deleteRoleEntries, listRoles, readRole, saveRole, type RoleEntry } from './roles.js';
import { MAX_HMAC_INPUT_BYTES } from './salt.js';
import { destroySecretId, listSecretIdHmacs, readSecretId } from './secret-ids.js';

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

export function pathRole(context: AppRoleContext): PathDefinition<FieldMap> {
  const write = (request: Request, fields: RoleFields) => writeRole(context, request, fields);
  return definePath({
    pattern: `role/${nameSegment('role_name')}`,
    fields: ROLE_FIELDS,
    existenceCheck: async (request, fields) => (await readRole(request.storage, fields.get('role_name'))) !== null,
    operations: {
      create: write,
      update: write,
      read: async (request, fields) => {
        const role = await readRole(request.storage, fields.get('role_name'));
        return role === null ? null : { data: describeRole(role) };
      },
      delete: async (request, fields) => {
        const name = fields.get('role_name');
        return context.roleLocks.run(name, async () => {
          const role = await readRole(request.storage, name);
          if (role === null) return null;
          await destroyAllSecretIds(context, request.storage, role);
          await deleteRoleEntries(request.storage, context.salt, role);
          return null;
        });
      },
    },
    helpSynopsis: 'Create, read, update or delete a role.',
    helpDescription: `
A role names a set of policies and the constraints of a login: a secret ID
(bind_secret_id), the caller's address (secret_id_bound_cidrs), or both.
Machines log in at login with the role's role_id and a secret_id issued at
role/<role_name>/secret-id. Deleting a role destroys its secret IDs.`,
  });
}

async function writeRole(context: AppRoleContext, request: Request, fields: RoleFields): Promise<Response | null> {
  const name = fields.get('role_name');
  if (Buffer.byteLength(name) > MAX_HMAC_INPUT_BYTES) {
    throw badRequest(`role_name is longer than maximum of ${MAX_HMAC_INPUT_BYTES} bytes: choose a shorter name`);
  }

  return context.roleLocks.run(name, async () => {
    const existing = await readRole(request.storage, name);
    const { role, warnings } = applyRoleFields(name, existing, fields, context.system);
    await saveRole(request.storage, context.salt, role, existing?.roleId);
    return warnings.length > 0 ? { warnings } : null;
  });
}

/** Destroys every secret ID of the role, each under its own lock. */
async function destroyAllSecretIds(context: AppRoleContext, storage: Storage, role: RoleEntry): Promise<void> {
  for (const hmac of await listSecretIdHmacs(storage, role)) {
    await context.secretIdLocks.run(hmac, async () => {
      const entry = await readSecretId(storage, role, hmac);
      if (entry !== null) await destroySecretId(storage, context.salt, role, hmac, entry.secretIdAccessor);
    });
  }
}
