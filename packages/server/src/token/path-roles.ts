/**
 * auth/token/roles: token role CRUD and listing.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { TokenBackendDeps } from './backend.js';
import { describeRole, validatePathSuffix, type TokenRole } from './roles.js';
import { sanitizePolicies } from './path-create.js';

const TOKEN_TYPES = ['service', 'batch', 'default-service', 'default-batch', 'default'];

const roleFields = {
  role_name: { type: 'name', description: 'Name of the role.', required: true },
  allowed_policies: { type: 'comma_string_slice', description: 'Policies tokens of this role may have.' },
  disallowed_policies: { type: 'comma_string_slice', description: 'Policies tokens of this role may never have.' },
  allowed_policies_glob: { type: 'comma_string_slice', description: 'Glob patterns of allowed policies.' },
  disallowed_policies_glob: { type: 'comma_string_slice', description: 'Glob patterns of disallowed policies.' },
  allowed_entity_aliases: { type: 'comma_string_slice', description: 'Entity aliases tokens of this role may be attached to.' },
  orphan: { type: 'bool', description: 'Create orphan tokens.' },
  renewable: { type: 'bool', description: 'Whether tokens can be renewed.', default: true },
  path_suffix: { type: 'string', description: 'Suffix added to the creation path, for revocation by prefix.' },
  token_bound_cidrs: { type: 'comma_string_slice', description: 'CIDR blocks tokens may be used from.' },
  bound_cidrs: { type: 'comma_string_slice', description: 'Deprecated alias of "token_bound_cidrs".' },
  token_explicit_max_ttl: { type: 'duration', description: 'Hard lifetime limit of tokens.' },
  explicit_max_ttl: { type: 'duration', description: 'Deprecated alias of "token_explicit_max_ttl".' },
  token_no_default_policy: { type: 'bool', description: 'Leave the default policy out of tokens.' },
  token_num_uses: { type: 'int', description: 'Use limit of tokens; 0 is unlimited.' },
  token_period: { type: 'duration', description: 'Make tokens periodic with this period.' },
  period: { type: 'duration', description: 'Deprecated alias of "token_period".' },
  token_type: { type: 'string', description: 'service, batch, default-service or default-batch.', default: 'default-service' },
  token_ttl: { type: 'duration', description: 'Not used by token roles; accepted for compatibility.' },
  token_max_ttl: { type: 'duration', description: 'Not used by token roles; accepted for compatibility.' },
} as const;

export function rolePaths(deps: TokenBackendDeps): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'roles/?',
      fields: {},
      operations: {
        async list() {
          const keys = await deps.roles.list();
          return keys.length === 0 ? null : { data: { keys } };
        },
      },
      helpSynopsis: 'List token roles.',
      helpDescription: 'Returns the names of all token roles.',
    }),
    definePath({
      pattern: 'roles/(?<role_name>\\w(?:[\\w.-]*\\w)?)',
      fields: roleFields,
      existenceCheck: async (_request, fields) => (await deps.roles.get(fields.get('role_name'))) !== null,
      operations: {
        async read(_request, fields) {
          const role = await deps.roles.get(fields.get('role_name'));
          return role === null ? null : { data: describeRole(role) };
        },
        async create(_request, fields) {
          await deps.roles.put(buildRole(null, fields));
          return null;
        },
        async update(_request, fields) {
          const existing = await deps.roles.get(fields.get('role_name'));
          await deps.roles.put(buildRole(existing, fields));
          return null;
        },
        async delete(_request, fields) {
          await deps.roles.delete(fields.get('role_name'));
          return null;
        },
      },
      helpSynopsis: 'Manage a token role.',
      helpDescription: 'A role sets the rules for tokens created at auth/token/create/<role>.',
    }),
  ];
}

type RoleFieldData = Parameters<NonNullable<PathDefinition<typeof roleFields>['existenceCheck']>>[1];

function buildRole(existing: TokenRole | null, fields: RoleFieldData): TokenRole {
  const pick = <T>(name: keyof typeof roleFields & string, current: T | undefined, fallback: T): T =>
    fields.has(name) ? (fields.get(name) as T) : (current ?? fallback);

  const tokenType = pick('token_type', existing?.tokenType, 'default-service');
  if (!TOKEN_TYPES.includes(tokenType)) {
    throw badRequest(`invalid "token_type" "${tokenType}": must be one of ${TOKEN_TYPES.join(', ')}`);
  }
  const pathSuffix = pick('path_suffix', existing?.pathSuffix, '');
  validatePathSuffix(pathSuffix);
  const numUses = pick('token_num_uses', existing?.tokenNumUses, 0);
  if (numUses < 0) throw badRequest(`invalid "token_num_uses" ${numUses}: it cannot be negative`);
  const period = fields.has('token_period') ? fields.get('token_period') : fields.has('period') ? fields.get('period') : (existing?.tokenPeriod ?? 0);
  const explicitMax = fields.has('token_explicit_max_ttl')
    ? fields.get('token_explicit_max_ttl')
    : fields.has('explicit_max_ttl')
      ? fields.get('explicit_max_ttl')
      : (existing?.tokenExplicitMaxTtl ?? 0);
  const cidrs = fields.has('token_bound_cidrs') ? fields.get('token_bound_cidrs') : fields.has('bound_cidrs') ? fields.get('bound_cidrs') : (existing?.tokenBoundCidrs ?? []);

  return {
    name: fields.get('role_name').toLowerCase(),
    allowedPolicies: sanitizePolicies(pick('allowed_policies', existing?.allowedPolicies, []), false),
    disallowedPolicies: sanitizePolicies(pick('disallowed_policies', existing?.disallowedPolicies, []), false),
    allowedPoliciesGlob: pick('allowed_policies_glob', existing?.allowedPoliciesGlob, []),
    disallowedPoliciesGlob: pick('disallowed_policies_glob', existing?.disallowedPoliciesGlob, []),
    allowedEntityAliases: pick('allowed_entity_aliases', existing?.allowedEntityAliases, []),
    orphan: pick('orphan', existing?.orphan, false),
    renewable: pick('renewable', existing?.renewable, true),
    pathSuffix,
    tokenBoundCidrs: cidrs,
    tokenExplicitMaxTtl: explicitMax,
    tokenNoDefaultPolicy: pick('token_no_default_policy', existing?.tokenNoDefaultPolicy, false),
    tokenNumUses: numUses,
    tokenPeriod: period,
    tokenType: tokenType === 'default' ? 'default-service' : tokenType,
  };
}
