/**
 * `roles/:name` (create, read, update, delete) and `roles/` (LIST): dynamic
 * roles, each of which creates a new database user for every read of
 * `creds/:name`.
 */
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import { listNames, readConnection, readRole, ROLE_PREFIX, roleAllowed, writeRole, type DynamicRole } from './store.js';

const ROLE_FIELDS = {
  name: { type: 'string', description: 'Name of the role.', required: true },
  db_name: { type: 'string', description: 'Connection (config/:name) the role creates users in. Required when creating.' },
  default_ttl: { type: 'duration', description: "Lease TTL of the credentials; 0 takes the mount's default." },
  max_ttl: { type: 'duration', description: "Maximum lifetime of the credentials; 0 takes the mount's maximum." },
  creation_statements: { type: 'string_slice', description: 'Statements that create the user, with {{name}}, {{password}} and {{expiration}}. Required.' },
  revocation_statements: { type: 'string_slice', description: 'Statements that drop the user; empty takes the plugin default.' },
  rollback_statements: { type: 'string_slice', description: 'Statements that undo a failed creation; empty takes the plugin default.' },
  renew_statements: { type: 'string_slice', description: "Statements that extend the user's expiry on renewal; empty takes the plugin default." },
} as const;

type RoleFields = FieldData<typeof ROLE_FIELDS>;

export function pathRolesList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'roles/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = await listNames(request.storage, ROLE_PREFIX);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the dynamic roles.',
    helpDescription: 'Returns the names of the roles written under roles/.',
  });
}

export function pathRoles(): PathDefinition<FieldMap> {
  return definePath({
    pattern: `roles/${nameSegment('name')}`,
    fields: ROLE_FIELDS,
    existenceCheck: async (request, fields) => (await readRole(request.storage, fields.get('name'))) !== null,
    operations: {
      create: writeRoleEntry,
      update: writeRoleEntry,
      read: async (request, fields) => {
        const role = await readRole(request.storage, fields.get('name'));
        return role === null ? null : { data: describeRole(role) };
      },
      delete: async (request, fields) => {
        await request.storage.delete(ROLE_PREFIX + fields.get('name'));
        return null;
      },
    },
    helpSynopsis: 'Manage the roles that create database users on demand.',
    helpDescription: `
Reading creds/<name> runs the role's creation statements with a new user name
and password, and returns them under a lease. Renewing the lease runs the renew
statements and revoking it the revocation statements. Deleting a role does not
revoke credentials already issued.`,
  });
}

async function writeRoleEntry(request: Request, fields: RoleFields): Promise<null> {
  const name = fields.get('name');
  const existing = await readRole(request.storage, name);
  const role: DynamicRole = {
    dbName: fields.getIfSet('db_name') ?? existing?.dbName ?? '',
    defaultTtl: fields.getIfSet('default_ttl') ?? existing?.defaultTtl ?? 0,
    maxTtl: fields.getIfSet('max_ttl') ?? existing?.maxTtl ?? 0,
    creationStatements: fields.getIfSet('creation_statements') ?? existing?.creationStatements ?? [],
    revocationStatements: fields.getIfSet('revocation_statements') ?? existing?.revocationStatements ?? [],
    rollbackStatements: fields.getIfSet('rollback_statements') ?? existing?.rollbackStatements ?? [],
    renewStatements: fields.getIfSet('renew_statements') ?? existing?.renewStatements ?? [],
  };

  if (role.dbName === '') throw badRequest('missing required field "db_name"');
  if (role.creationStatements.length === 0) throw badRequest('missing required field "creation_statements"');
  if (role.maxTtl !== 0 && role.defaultTtl > role.maxTtl) {
    throw badRequest(`invalid field "default_ttl": ${role.defaultTtl} s is greater than "max_ttl" of ${role.maxTtl} s`);
  }
  await checkConnectionAllows(request, role.dbName, name);

  await writeRole(request.storage, name, role);
  return null;
}

/**
 * Checks that the connection exists and lists the role in `allowed_roles`.
 * @throws CofferError (400) naming `db_name` and the fix.
 */
export async function checkConnectionAllows(request: Request, dbName: string, roleName: string): Promise<void> {
  const config = await readConnection(request.storage, dbName);
  if (config === null) throw badRequest(`invalid field "db_name": no connection named "${dbName}"; write config/${dbName} first`);
  if (!roleAllowed(config, roleName)) {
    throw badRequest(`invalid field "db_name": connection "${dbName}" does not allow role "${roleName}"; add it to the connection's allowed_roles`);
  }
}

function describeRole(role: DynamicRole): Record<string, unknown> {
  return {
    db_name: role.dbName,
    default_ttl: role.defaultTtl,
    max_ttl: role.maxTtl,
    creation_statements: role.creationStatements,
    revocation_statements: role.revocationStatements,
    rollback_statements: role.rollbackStatements,
    renew_statements: role.renewStatements,
    credential_type: 'password',
  };
}
