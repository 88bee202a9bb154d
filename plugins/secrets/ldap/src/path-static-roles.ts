/**
 * `static-role/:name` (LIST, read, write, delete), `static-cred/:name` and
 * `rotate-role/:name`: existing accounts whose passwords the engine owns
 * and rotates every `rotation_period`.
 */
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import { findAccountDn, type EngineDeps } from './deps.js';
import { nextRotation, rotateStaticRole, rotateStaticRoleNow, withStaticRole } from './rotation.js';
import { listNames, readStaticRole, STATIC_ROLE_PREFIX, writeStaticRole, type StaticRole } from './store.js';

/** Shortest rotation period, in seconds, as in Vault. */
export const MIN_ROTATION_PERIOD = 5;

const STATIC_ROLE_FIELDS = {
  name: { type: 'string', description: 'Name of the static role.', required: true },
  username: { type: 'string', description: 'Name of the existing account; without dn, the engine searches userdn for userattr=username. Cannot be changed.' },
  dn: { type: 'string', description: 'DN of the existing account; takes precedence over the search by username. Cannot be changed.' },
  rotation_period: { type: 'duration', description: 'Time between password rotations, in seconds or as a duration; at least 5 s.' },
  skip_import_rotation: { type: 'bool', description: 'Keep the current password when the role is created; the first rotation comes after rotation_period.' },
} as const;

type StaticRoleFields = FieldData<typeof STATIC_ROLE_FIELDS>;

export function pathStaticRolesList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'static-role/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = await listNames(request.storage, STATIC_ROLE_PREFIX);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the static roles.',
    helpDescription: 'Returns the names of the roles written under static-role/.',
  });
}

export function pathStaticRoles(deps: EngineDeps): PathDefinition<FieldMap> {
  const write = (request: Request, fields: StaticRoleFields) => withStaticRole(deps, fields.get('name'), () => writeStaticRoleEntry(deps, request, fields));
  return definePath({
    pattern: `static-role/${nameSegment('name')}`,
    fields: STATIC_ROLE_FIELDS,
    existenceCheck: async (request, fields) => (await readStaticRole(request.storage, fields.get('name'))) !== null,
    operations: {
      create: write,
      update: write,
      read: async (request, fields) => {
        const role = await readStaticRole(request.storage, fields.get('name'));
        if (role === null) return null;
        const data: Record<string, unknown> = { username: role.username, dn: role.dn, rotation_period: role.rotationPeriod };
        if (role.lastRotation > 0) data.last_vault_rotation = new Date(role.lastRotation).toISOString();
        return { data };
      },
      delete: async (request, fields) => {
        const name = fields.get('name');
        await withStaticRole(deps, name, () => request.storage.delete(STATIC_ROLE_PREFIX + name));
        return null;
      },
    },
    helpSynopsis: 'Manage roles that rotate the password of an existing account.',
    helpDescription: `
Creating a static role sets a new password for the account at once, unless
skip_import_rotation is true. After that the engine sets a new one every
rotation_period, and static-cred/<name> returns the current one. Deleting the
role leaves the account and its last password in place.`,
  });
}

export function pathStaticCreds(): PathDefinition<FieldMap> {
  return definePath({
    pattern: `static-cred/${nameSegment('name')}`,
    fields: { name: { type: 'string', description: 'Name of the static role.', required: true } },
    operations: {
      read: async (request, fields) => {
        const name = fields.get('name');
        const role = await readStaticRole(request.storage, name);
        if (role === null) throw badRequest(`unknown static role: ${name}`);
        const data: Record<string, unknown> = {
          username: role.username,
          dn: role.dn,
          password: role.password,
          last_password: role.lastPassword,
          rotation_period: role.rotationPeriod,
          ttl: Math.max(0, Math.ceil((nextRotation(role) - Date.now()) / 1000)),
        };
        if (role.lastRotation > 0) data.last_vault_rotation = new Date(role.lastRotation).toISOString();
        return { data };
      },
    },
    helpSynopsis: 'Read the current password of a static role.',
    helpDescription: 'Returns the account, its current and previous password, and the seconds until the next rotation (ttl).',
  });
}

export function pathRotateRole(deps: EngineDeps): PathDefinition<FieldMap> {
  return definePath({
    pattern: `rotate-role/${nameSegment('name')}`,
    fields: { name: { type: 'string', description: 'Name of the static role.', required: true } },
    operations: {
      update: async (request, fields) => {
        await rotateStaticRole(deps, request.storage, fields.get('name'));
        return null;
      },
    },
    helpSynopsis: "Rotate a static role's password now.",
    helpDescription: 'Sets a new password for the account at once; the next scheduled rotation comes rotation_period after it.',
  });
}

async function writeStaticRoleEntry(deps: EngineDeps, request: Request, fields: StaticRoleFields): Promise<null> {
  const name = fields.get('name');
  const existing = await readStaticRole(request.storage, name);
  const username = fields.getIfSet('username');
  const dn = fields.getIfSet('dn');
  if (existing !== null && username !== undefined && username !== existing.username) {
    throw badRequest(`invalid field "username": cannot change the account of static role "${name}" from "${existing.username}"; delete the role and create it again`);
  }
  if (existing !== null && dn !== undefined && dn !== '' && dn !== existing.dn) {
    throw badRequest(`invalid field "dn": cannot change the DN of static role "${name}" from "${existing.dn}"; delete the role and create it again`);
  }

  const role: StaticRole = {
    username: username ?? existing?.username ?? '',
    dn: dn ?? existing?.dn ?? '',
    rotationPeriod: fields.getIfSet('rotation_period') ?? existing?.rotationPeriod ?? 0,
    password: existing?.password ?? '',
    lastPassword: existing?.lastPassword ?? '',
    lastRotation: existing?.lastRotation ?? 0,
    createdAt: existing?.createdAt ?? Date.now(),
  };
  if (role.username === '') throw badRequest('missing required field "username"');
  if (role.rotationPeriod === 0) throw badRequest('missing required field "rotation_period"');
  if (role.rotationPeriod < MIN_ROTATION_PERIOD) {
    throw badRequest(`invalid field "rotation_period": ${role.rotationPeriod} s is shorter than the minimum of ${MIN_ROTATION_PERIOD} s`);
  }
  if (existing !== null) {
    await writeStaticRole(request.storage, name, role);
    return null;
  }

  if (role.dn === '') role.dn = await findAccountDn(request.storage, role.username, 'username');
  // A new role takes over the account by setting a password the engine stores.
  if (fields.get('skip_import_rotation')) await writeStaticRole(request.storage, name, role);
  else await rotateStaticRoleNow(deps, request.storage, name, role);
  return null;
}
