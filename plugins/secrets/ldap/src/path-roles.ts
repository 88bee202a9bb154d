/**
 * `role/:name` (LIST, read, write, delete): dynamic roles, whose LDIF
 * templates create an account for each lease and delete it on revocation.
 */
import {
  badRequest,
  checkUsernameTemplate,
  definePath,
  nameSegment,
  type FieldData,
  type FieldMap,
  type PathDefinition,
  type Request,
  type SystemView,
} from '@coffer/sdk';
import { LdifError, parseLdif } from './ldif.js';
import { listNames, readDynamicRole, ROLE_PREFIX, writeDynamicRole, type DynamicRole } from './store.js';
import { renderLdifTemplate, TemplateError, templateValues } from './template.js';
import type { EngineDeps } from './deps.js';

/** Vault's default username template of dynamic roles. */
export const DEFAULT_USERNAME_TEMPLATE = 'v_{{.DisplayName}}_{{.RoleName}}_{{random 10}}_{{unix_time}}';

const ROLE_FIELDS = {
  name: { type: 'string', description: 'Name of the dynamic role.', required: true },
  creation_ldif: { type: 'string', description: 'LDIF template applied in order to create an account; plain or base64-encoded.' },
  deletion_ldif: { type: 'string', description: 'LDIF template applied when the lease ends; plain or base64-encoded.' },
  rollback_ldif: { type: 'string', description: 'LDIF template applied when creation_ldif fails part-way; plain or base64-encoded.' },
  username_template: { type: 'string', description: `Template of generated usernames over .DisplayName and .RoleName; empty takes ${DEFAULT_USERNAME_TEMPLATE}.` },
  default_ttl: { type: 'duration', description: "TTL of issued credentials, in seconds or as a duration; 0 takes the mount's default lease TTL." },
  max_ttl: { type: 'duration', description: "Maximum lifetime of issued credentials, renewals included; 0 takes the mount's max lease TTL." },
} as const;

type RoleFields = FieldData<typeof ROLE_FIELDS>;

export function pathRolesList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'role/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = await listNames(request.storage, ROLE_PREFIX);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the dynamic roles.',
    helpDescription: 'Returns the names of the roles written under role/.',
  });
}

export function pathRoles(deps: EngineDeps): PathDefinition<FieldMap> {
  const write = (request: Request, fields: RoleFields) => deps.locks.run(ROLE_PREFIX + fields.get('name'), () => writeRole(deps.system, request, fields));
  return definePath({
    pattern: `role/${nameSegment('name')}`,
    fields: ROLE_FIELDS,
    existenceCheck: async (request, fields) => (await readDynamicRole(request.storage, fields.get('name'))) !== null,
    operations: {
      create: write,
      update: write,
      read: async (request, fields) => {
        const role = await readDynamicRole(request.storage, fields.get('name'));
        if (role === null) return null;
        return {
          data: {
            creation_ldif: role.creationLdif,
            deletion_ldif: role.deletionLdif,
            rollback_ldif: role.rollbackLdif,
            username_template: role.usernameTemplate,
            default_ttl: role.defaultTtl,
            max_ttl: role.maxTtl,
          },
        };
      },
      delete: async (request, fields) => {
        const name = fields.get('name');
        await deps.locks.run(ROLE_PREFIX + name, () => request.storage.delete(ROLE_PREFIX + name));
        return null;
      },
    },
    helpSynopsis: 'Manage dynamic roles.',
    helpDescription: `
creds/<name> renders creation_ldif with a generated username and password and
applies its records in order. When one fails, rollback_ldif is applied. When
the lease ends, deletion_ldif is applied. The templates may use {{.Username}},
{{.Password}}, {{.DisplayName}}, {{.RoleName}}, {{.IssueTime}},
{{.IssueTimeSeconds}}, {{.ExpirationTime}} and {{.ExpirationTimeSeconds}}.
An update keeps the fields it does not set.`,
  });
}

async function writeRole(system: SystemView, request: Request, fields: RoleFields): Promise<null> {
  const name = fields.get('name');
  const existing = await readDynamicRole(request.storage, name);
  const ldif = (field: 'creation_ldif' | 'deletion_ldif' | 'rollback_ldif', current: string | undefined): string => {
    const value = fields.getIfSet(field);
    return value === undefined ? current ?? '' : decodeBase64Ldif(value);
  };
  const role: DynamicRole = {
    creationLdif: ldif('creation_ldif', existing?.creationLdif),
    deletionLdif: ldif('deletion_ldif', existing?.deletionLdif),
    rollbackLdif: ldif('rollback_ldif', existing?.rollbackLdif),
    usernameTemplate: fields.getIfSet('username_template') ?? existing?.usernameTemplate ?? '',
    defaultTtl: fields.getIfSet('default_ttl') ?? existing?.defaultTtl ?? 0,
    maxTtl: fields.getIfSet('max_ttl') ?? existing?.maxTtl ?? 0,
  };

  if (role.creationLdif.trim() === '') throw badRequest('missing required field "creation_ldif"');
  if (role.deletionLdif.trim() === '') throw badRequest('missing required field "deletion_ldif"');
  checkLdifTemplate('creation_ldif', role.creationLdif);
  checkLdifTemplate('deletion_ldif', role.deletionLdif);
  if (role.rollbackLdif.trim() !== '') checkLdifTemplate('rollback_ldif', role.rollbackLdif);
  if (role.usernameTemplate !== '') {
    try {
      checkUsernameTemplate(role.usernameTemplate);
    } catch (err) {
      throw badRequest(`invalid field "username_template": ${(err as Error).message}`);
    }
  }
  const mountMax = system.maxLeaseTtl();
  if (role.maxTtl > 0 && mountMax > 0 && role.maxTtl > mountMax) {
    throw badRequest(`invalid field "max_ttl": ${role.maxTtl} s is greater than the mount's max lease TTL of ${mountMax} s`);
  }
  if (role.maxTtl > 0 && role.defaultTtl > role.maxTtl) {
    throw badRequest(`invalid field "default_ttl": ${role.defaultTtl} s is greater than "max_ttl" of ${role.maxTtl} s`);
  }

  await writeDynamicRole(request.storage, name, role);
  return null;
}

/**
 * Returns the decoded text when `value` is base64 of UTF-8 text, as Vault
 * accepts the LDIF fields either way, else `value` unchanged. Plain LDIF
 * always has a ":" and so is never valid base64.
 */
export function decodeBase64Ldif(value: string): string {
  const compact = value.replace(/\s+/g, '');
  if (compact === '' || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return value;
  const decoded = Buffer.from(compact, 'base64');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(decoded);
  return text.includes('\uFFFD') ? value : text;
}

/**
 * Renders an LDIF template with sample values and parses it, so a role
 * whose LDIF could never apply is rejected when it is written.
 * @throws CofferError (400) naming the field and the line.
 */
function checkLdifTemplate(field: string, template: string): void {
  const sample = templateValues({ username: 'sample_user', password: 'Sample-password-1', displayName: 'token', roleName: 'role' }, new Date(), 3600);
  try {
    parseLdif(renderLdifTemplate(template, sample));
  } catch (err) {
    if (err instanceof LdifError || err instanceof TemplateError) throw badRequest(`invalid field "${field}": ${err.message}`);
    throw err;
  }
}
