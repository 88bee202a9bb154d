/**
 * Reading and destroying one secret ID of a role, by the secret ID itself
 * (`role/:role_name/secret-id/lookup`, `.../secret-id/destroy`) or by its
 * accessor (`role/:role_name/secret-id-accessor/lookup`, `.../destroy`).
 */
import { badRequest, definePath, nameSegment, notFound, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import type { AppRoleContext } from './context.js';
import { ROLE_NAME_FIELD } from './role-fields.js';
import { requireRole, type RoleEntry } from './roles.js';
import { describeSecretId, destroySecretId, readAccessor, readSecretId, secretIdHmac, deleteOrphanSecretId } from './secret-ids.js';

const BY_SECRET_ID_FIELDS = {
  role_name: ROLE_NAME_FIELD,
  secret_id: { type: 'string', description: 'The secret ID.' },
} as const;

const BY_ACCESSOR_FIELDS = {
  role_name: ROLE_NAME_FIELD,
  secret_id_accessor: { type: 'string', description: 'The accessor of the secret ID.' },
} as const;

/** Finds a secret ID by its value; returns its HMAC, or throws a 400 when the value is missing. */
function hmacOf(role: RoleEntry, secretId: string): string {
  if (secretId === '') throw badRequest('missing secret_id: send "secret_id" with the secret ID to act on');
  return secretIdHmac(role, secretId);
}

/** Finds a secret ID by its accessor; returns its HMAC, or throws Vault's 404 when the accessor is unknown. */
async function hmacOfAccessor(context: AppRoleContext, request: Request, role: RoleEntry, accessor: string): Promise<string> {
  if (accessor === '') throw badRequest('missing secret_id_accessor: send "secret_id_accessor" with the accessor to act on');
  const hmac = await readAccessor(request.storage, context.salt, role, accessor);
  if (hmac === null) throw notFound(`failed to find accessor entry for secret_id_accessor: "${accessor}"`);
  return hmac;
}

/**
 * Returns the secret ID's settings. A secret ID whose accessor entry is gone
 * was half destroyed, so it is deleted now and reported as invalid, as Vault does.
 */
async function lookup(context: AppRoleContext, request: Request, role: RoleEntry, hmac: string): Promise<Response | null> {
  return context.secretIdLocks.run(hmac, async () => {
    const entry = await readSecretId(request.storage, role, hmac);
    if (entry === null) return null;
    if ((await readAccessor(request.storage, context.salt, role, entry.secretIdAccessor)) === null) {
      await deleteOrphanSecretId(request.storage, role, hmac);
      throw badRequest('invalid secret id');
    }
    return { data: describeSecretId(entry) };
  });
}

async function destroy(context: AppRoleContext, request: Request, role: RoleEntry, hmac: string): Promise<null> {
  return context.secretIdLocks.run(hmac, async () => {
    const entry = await readSecretId(request.storage, role, hmac);
    if (entry !== null) await destroySecretId(request.storage, context.salt, role, hmac, entry.secretIdAccessor);
    return null;
  });
}

export function pathSecretIdLookup(context: AppRoleContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `role/${nameSegment('role_name')}/secret-id/lookup/?`,
    fields: BY_SECRET_ID_FIELDS,
    operations: {
      update: async (request, fields) => {
        const role = await requireRole(request.storage, fields.get('role_name'));
        return lookup(context, request, role, hmacOf(role, fields.get('secret_id')));
      },
    },
    helpSynopsis: 'Read the settings of a secret ID.',
    helpDescription: 'Returns the accessor, remaining uses, TTL, times, metadata and CIDR lists of a secret ID, but never the secret ID.',
  });
}

export function pathSecretIdDestroy(context: AppRoleContext): PathDefinition<FieldMap> {
  const handler = async (request: Request, fields: { get(name: 'role_name' | 'secret_id'): string }) => {
    const role = await requireRole(request.storage, fields.get('role_name'));
    return destroy(context, request, role, hmacOf(role, fields.get('secret_id')));
  };
  return definePath({
    pattern: `role/${nameSegment('role_name')}/secret-id/destroy/?`,
    fields: BY_SECRET_ID_FIELDS,
    operations: { update: handler, delete: handler },
    helpSynopsis: 'Destroy a secret ID.',
    helpDescription: 'The secret ID stops working at once. Tokens issued with it stay valid.',
  });
}

export function pathSecretIdAccessorLookup(context: AppRoleContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `role/${nameSegment('role_name')}/secret-id-accessor/lookup/?`,
    fields: BY_ACCESSOR_FIELDS,
    operations: {
      update: async (request, fields) => {
        const role = await requireRole(request.storage, fields.get('role_name'));
        return lookup(context, request, role, await hmacOfAccessor(context, request, role, fields.get('secret_id_accessor')));
      },
    },
    helpSynopsis: 'Read the settings of a secret ID by its accessor.',
    helpDescription: 'Like secret-id/lookup, for a caller that holds the accessor and not the secret ID.',
  });
}

export function pathSecretIdAccessorDestroy(context: AppRoleContext): PathDefinition<FieldMap> {
  const handler = async (request: Request, fields: { get(name: 'role_name' | 'secret_id_accessor'): string }) => {
    const role = await requireRole(request.storage, fields.get('role_name'));
    return destroy(context, request, role, await hmacOfAccessor(context, request, role, fields.get('secret_id_accessor')));
  };
  return definePath({
    pattern: `role/${nameSegment('role_name')}/secret-id-accessor/destroy/?`,
    fields: BY_ACCESSOR_FIELDS,
    operations: { update: handler, delete: handler },
    helpSynopsis: 'Destroy a secret ID by its accessor.',
    helpDescription: 'The secret ID stops working at once. Tokens issued with it stay valid.',
  });
}
