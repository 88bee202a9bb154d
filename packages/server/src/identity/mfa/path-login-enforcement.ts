/**
 * identity/mfa/login-enforcement: which logins need MFA, as in Vault. An
 * enforcement names its methods, any one of which satisfies it, and at
 * least one target: auth mount accessors, auth method types, groups or
 * entities.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { LoginMfa } from './login.js';
import { describeEnforcement, type LoginEnforcement } from './model.js';

const enforcementFields = {
  name: { type: 'string', description: 'Name of the enforcement.' },
  mfa_method_ids: { type: 'comma_string_slice', description: 'IDs of the MFA methods; any one of them satisfies the enforcement. Required.' },
  auth_method_accessors: { type: 'comma_string_slice', description: 'Accessors of the auth mounts whose logins need MFA.' },
  auth_method_types: { type: 'comma_string_slice', description: 'Types of the auth methods whose logins need MFA, such as userpass.' },
  identity_group_ids: { type: 'comma_string_slice', description: 'IDs of the groups whose member entities need MFA.' },
  identity_entity_ids: { type: 'comma_string_slice', description: 'IDs of the entities that need MFA.' },
} as const;

type EnforcementFieldData = Parameters<NonNullable<PathDefinition<typeof enforcementFields>['existenceCheck']>>[1];

/** Returns the first value that `exists` rejects, if any. */
function firstUnknown(values: string[], exists: (value: string) => boolean): string | undefined {
  return values.find((value) => !exists(value));
}

function enforcementFromFields(mfa: LoginMfa, name: string, id: string, fields: EnforcementFieldData): LoginEnforcement {
  const enforcement: LoginEnforcement = {
    name,
    id,
    methodIds: fields.get('mfa_method_ids'),
    authMethodAccessors: fields.get('auth_method_accessors'),
    authMethodTypes: fields.get('auth_method_types'),
    identityGroupIds: fields.get('identity_group_ids'),
    identityEntityIds: fields.get('identity_entity_ids'),
  };
  const records = mfa.store.identity.records;

  if (enforcement.methodIds.length === 0) throw badRequest('missing mfa_method_ids: set it to the IDs of one or more MFA methods, listed at identity/mfa/method/totp');
  const method = firstUnknown(enforcement.methodIds, (value) => mfa.store.method(value) !== undefined);
  if (method !== undefined) throw badRequest(`invalid mfa_method_ids: no MFA method has the ID "${method}"`);
  const targets = enforcement.authMethodAccessors.length + enforcement.authMethodTypes.length + enforcement.identityGroupIds.length + enforcement.identityEntityIds.length;
  if (targets === 0) {
    throw badRequest('missing targets: set at least one of auth_method_accessors, auth_method_types, identity_group_ids or identity_entity_ids');
  }
  const accessor = firstUnknown(enforcement.authMethodAccessors, (value) => mfa.store.identity.mount(value)?.path.startsWith('auth/') === true);
  if (accessor !== undefined) throw badRequest(`invalid auth_method_accessors: no auth mount has the accessor "${accessor}"; read the accessors at sys/auth`);
  const group = firstUnknown(enforcement.identityGroupIds, (value) => records.group(value) !== undefined);
  if (group !== undefined) throw badRequest(`invalid identity_group_ids: no group has the ID "${group}"`);
  const entity = firstUnknown(enforcement.identityEntityIds, (value) => records.entity(value) !== undefined);
  if (entity !== undefined) throw badRequest(`invalid identity_entity_ids: no entity has the ID "${entity}"`);
  return enforcement;
}

export function loginEnforcementPaths(mfa: LoginMfa): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'mfa/login-enforcement/?',
      fields: {},
      operations: {
        async list() {
          const names = mfa.store.listEnforcements().map((enforcement) => enforcement.name);
          return names.length === 0 ? null : { data: { keys: names } };
        },
      },
      helpSynopsis: 'List login enforcements.',
      helpDescription: 'Returns the names of all login enforcements.',
    }),
    definePath({
      pattern: `mfa/login-enforcement/${nameSegment('name')}`,
      fields: enforcementFields,
      operations: {
        async read(_request, fields) {
          const enforcement = mfa.store.enforcement(fields.get('name'));
          return enforcement === undefined ? null : { data: describeEnforcement(enforcement) };
        },
        async update(_request, fields) {
          const name = fields.get('name');
          const enforcement = enforcementFromFields(mfa, name, mfa.store.enforcement(name)?.id ?? randomUUID(), fields);
          await mfa.store.putEnforcement(enforcement);
          mfa.store.logger.info({ enforcement: name }, 'login enforcement written');
          return null;
        },
        async delete(_request, fields) {
          const name = fields.get('name');
          if (mfa.store.enforcement(name) === undefined) return null;
          await mfa.store.deleteEnforcement(name);
          mfa.store.logger.info({ enforcement: name }, 'login enforcement deleted');
          return null;
        },
      },
      helpSynopsis: 'Read, write or delete a login enforcement.',
      helpDescription: 'Logins that match any target of an enforcement get no token until one of its MFA methods is validated.',
    }),
  ];
}

