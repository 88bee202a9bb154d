/**
 * `static-roles/:name` (create, read, update, delete), `static-roles/`
 * (LIST) and `static-creds/:name`: roles bound to one existing database
 * account whose password the engine rotates every `rotation_period`.
 */
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import { checkConnectionAllows } from './path-roles.js';
import { rotateStaticRoleNow, withStaticRole, type RotationDeps } from './rotation.js';
import { listNames, readConnection, readStaticRole, roleAllowed, STATIC_ROLE_PREFIX, type StaticRole } from './store.js';

/** The shortest rotation period Vault accepts, in seconds. */
export const MIN_ROTATION_PERIOD = 5;

const STATIC_ROLE_FIELDS = {
  name: { type: 'string', description: 'Name of the static role.', required: true },
  db_name: { type: 'string', description: 'Connection (config/:name) of the account. Required when creating.' },
  username: { type: 'string', description: 'Existing database account the role manages. Required when creating; cannot change.' },
  rotation_period: { type: 'duration', description: `Time between password rotations, at least ${MIN_ROTATION_PERIOD} s. Required when creating.` },
  rotation_statements: { type: 'string_slice', description: 'Statements that set the password, with {{name}} and {{password}}; empty takes the plugin default.' },
} as const;

type StaticRoleFields = FieldData<typeof STATIC_ROLE_FIELDS>;

export function pathStaticRolesList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'static-roles/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = await listNames(request.storage, STATIC_ROLE_PREFIX);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the static roles.',
    helpDescription: 'Returns the names of the roles written under static-roles/.',
  });
}

export function pathStaticRoles(deps: RotationDeps): PathDefinition<FieldMap> {
  const write = (request: Request, fields: StaticRoleFields) =>
    withStaticRole(deps, fields.get('name'), () => writeStaticRoleEntry(deps, request, fields));
  return definePath({
    pattern: `static-roles/${nameSegment('name')}`,
    fields: STATIC_ROLE_FIELDS,
    existenceCheck: async (request, fields) => (await readStaticRole(request.storage, fields.get('name'))) !== null,
    operations: {
      create: write,
      update: write,
      read: async (request, fields) => {
        const role = await readStaticRole(request.storage, fields.get('name'));
        if (role === null) return null;
        return {
          data: {
            db_name: role.dbName,
            username: role.username,
            rotation_period: role.rotationPeriod,
            rotation_statements: role.rotationStatements,
            last_vault_rotation: new Date(role.lastRotation).toISOString(),
            credential_type: 'password',
          },
        };
      },
      delete: async (request, fields) => {
        const name = fields.get('name');
        await withStaticRole(deps, name, () => request.storage.delete(STATIC_ROLE_PREFIX + name));
        return null;
      },
    },
    helpSynopsis: 'Manage roles that rotate the password of an existing account.',
    helpDescription: `
Creating a static role sets a new password for the account at once. After that
the engine sets a new one every rotation_period, and static-creds/<name>
returns the current one. Deleting the role leaves the account and its last
password in place.`,
  });
}

export function pathStaticCreds(): PathDefinition<FieldMap> {
  return definePath({
    pattern: `static-creds/${nameSegment('name')}`,
    fields: { name: { type: 'string', description: 'Name of the static role.', required: true } },
    operations: {
      read: async (request, fields) => {
        const name = fields.get('name');
        const role = await readStaticRole(request.storage, name);
        if (role === null) throw badRequest(`unknown role: ${name}`);
        const config = await readConnection(request.storage, role.dbName);
        if (config === null) throw badRequest(`no connection named "${role.dbName}": write config/${role.dbName} first`);
        if (!roleAllowed(config, name)) throw badRequest(`"${name}" is not an allowed role of connection "${role.dbName}"`);

        const nextRotation = role.lastRotation + role.rotationPeriod * 1000;
        return {
          data: {
            username: role.username,
            password: role.password,
            last_vault_rotation: new Date(role.lastRotation).toISOString(),
            rotation_period: role.rotationPeriod,
            ttl: Math.max(0, Math.ceil((nextRotation - Date.now()) / 1000)),
          },
        };
      },
    },
    helpSynopsis: 'Read the current password of a static role.',
    helpDescription: 'Returns the account name, its current password and the seconds until the next rotation (ttl). The connection must list the role in allowed_roles.',
  });
}

async function writeStaticRoleEntry(deps: RotationDeps, request: Request, fields: StaticRoleFields): Promise<null> {
  const name = fields.get('name');
  const existing = await readStaticRole(request.storage, name);
  const username = fields.getIfSet('username');
  const dbName = fields.getIfSet('db_name');
  if (existing !== null && username !== undefined && username !== existing.username) {
    throw badRequest(`invalid field "username": cannot change the account of static role "${name}" from "${existing.username}"; delete the role and create it again`);
  }
  if (existing !== null && dbName !== undefined && dbName !== existing.dbName) {
    throw badRequest(`invalid field "db_name": cannot change the connection of static role "${name}"; delete the role and create it again`);
  }

  const role: StaticRole = {
    dbName: dbName ?? existing?.dbName ?? '',
    username: username ?? existing?.username ?? '',
    rotationPeriod: fields.getIfSet('rotation_period') ?? existing?.rotationPeriod ?? 0,
    rotationStatements: fields.getIfSet('rotation_statements') ?? existing?.rotationStatements ?? [],
    password: existing?.password ?? '',
    lastRotation: existing?.lastRotation ?? 0,
  };
  if (role.dbName === '') throw badRequest('missing required field "db_name"');
  if (role.username === '') throw badRequest('missing required field "username"');
  if (role.rotationPeriod === 0) throw badRequest('missing required field "rotation_period"');
  if (role.rotationPeriod < MIN_ROTATION_PERIOD) {
    throw badRequest(`invalid field "rotation_period": ${role.rotationPeriod} s is shorter than the minimum of ${MIN_ROTATION_PERIOD} s`);
  }
  await checkConnectionAllows(request, role.dbName, name);
  await checkAccountUnclaimed(request, name, role);

  // A new role takes over the account by setting a password the engine stores.
  if (existing === null) await rotateStaticRoleNow(deps, request.storage, name, role);
  else await request.storage.put({ key: STATIC_ROLE_PREFIX + name, value: Buffer.from(JSON.stringify(role)) });
  return null;
}

/** Two static roles rotating one account would lock each other out, so Vault rejects it. */
async function checkAccountUnclaimed(request: Request, name: string, role: StaticRole): Promise<void> {
  for (const other of await listNames(request.storage, STATIC_ROLE_PREFIX)) {
    if (other === name) continue;
    const stored = await readStaticRole(request.storage, other);
    if (stored !== null && stored.dbName === role.dbName && stored.username === role.username) {
      throw badRequest(`invalid field "username": account "${role.username}" is already managed by static role "${other}"`);
    }
  }
}
