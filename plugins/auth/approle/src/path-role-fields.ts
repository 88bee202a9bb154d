/**
 * The per-field paths Vault offers next to `role/:role_name`, so that an ACL
 * can delegate one setting of a role: `role/:role_name/policies`,
 * `secret-id-num-uses`, `secret-id-ttl`, `token-ttl`, `token-max-ttl`,
 * `token-num-uses`, `token-bound-cidrs`, `bind-secret-id`,
 * `secret-id-bound-cidrs`, `bound-cidr-list` (deprecated), `period` and the
 * read-only `local-secret-ids`.
 *
 * Each is GET (read the value), POST (set it) and DELETE (reset it to its
 * default). A POST without the field is rejected; the other settings of the
 * role stay as they are.
 */
import {
  badRequest,
  definePath,
  internalError,
  nameSegment,
  TOKEN_FIELDS,
  type FieldData,
  type FieldMap,
  type PathDefinition,
  type Request,
  type SystemView,
} from '@coffer/sdk';
import { checkCidrs } from './cidr.js';
import type { AppRoleContext } from './context.js';
import { checkNotNegative, checkPeriod, checkRoleTokenSettings, ROLE_FIELDS, ROLE_NAME_FIELD } from './role-fields.js';
import { readRole, requireRole, saveRole, type RoleEntry } from './roles.js';

/** One per-field path: what it reads, how it sets, how it resets. */
interface RoleFieldPath {
  suffix: string;
  fields: FieldMap;
  read(role: RoleEntry): Record<string, unknown>;
  /** Applies the request to `role`; throws a 400 for a missing or invalid value. Absent for read-only paths. */
  update?(role: RoleEntry, fields: FieldData<FieldMap>, system: SystemView): void;
  reset?(role: RoleEntry): void;
  helpSynopsis: string;
}

/** Returns the value of the first of `names` the request set, or throws Vault's "missing" error for the first name. */
function required<T>(fields: FieldData<FieldMap>, ...names: string[]): T {
  for (const name of names) {
    if (fields.has(name)) return fields.get(name) as T;
  }
  throw badRequest(`missing ${names[0]}: send "${names[0]}" with the new value`);
}

/** @throws CofferError (400) with Vault's text for the field that changed, when token_ttl exceeds token_max_ttl. */
function checkTtlPair(role: RoleEntry, changed: 'token_ttl' | 'token_max_ttl'): void {
  if (role.tokenMaxTtl === 0 || role.tokenTtl <= role.tokenMaxTtl) return;
  const rule = changed === 'token_ttl' ? 'token_ttl should not be greater than token_max_ttl' : 'token_max_ttl should be greater than or equal to token_ttl';
  throw badRequest(`${rule}: token_ttl is ${role.tokenTtl}, token_max_ttl is ${role.tokenMaxTtl}`);
}

const FIELD_PATHS: RoleFieldPath[] = [
  {
    suffix: 'policies',
    fields: { token_policies: TOKEN_FIELDS.token_policies, policies: TOKEN_FIELDS.policies },
    read: (role) => ({ token_policies: role.tokenPolicies, policies: role.tokenPolicies }),
    update: (role, fields) => {
      role.tokenPolicies = required<string[]>(fields, 'token_policies', 'policies');
    },
    reset: (role) => {
      role.tokenPolicies = [];
    },
    helpSynopsis: 'Policies of the tokens the role issues.',
  },
  {
    suffix: 'secret-id-num-uses',
    fields: { secret_id_num_uses: ROLE_FIELDS.secret_id_num_uses },
    read: (role) => ({ secret_id_num_uses: role.secretIdNumUses }),
    update: (role, fields) => {
      const uses = required<number>(fields, 'secret_id_num_uses');
      checkNotNegative('secret_id_num_uses', uses);
      role.secretIdNumUses = uses;
    },
    reset: (role) => {
      role.secretIdNumUses = 0;
    },
    helpSynopsis: 'Default use limit of new secret IDs.',
  },
  {
    suffix: 'secret-id-ttl',
    fields: { secret_id_ttl: ROLE_FIELDS.secret_id_ttl },
    read: (role) => ({ secret_id_ttl: role.secretIdTtl }),
    update: (role, fields) => {
      role.secretIdTtl = required<number>(fields, 'secret_id_ttl');
    },
    reset: (role) => {
      role.secretIdTtl = 0;
    },
    helpSynopsis: 'Default lifetime of new secret IDs, in seconds.',
  },
  {
    suffix: 'token-ttl',
    fields: { token_ttl: TOKEN_FIELDS.token_ttl },
    read: (role) => ({ token_ttl: role.tokenTtl }),
    update: (role, fields) => {
      role.tokenTtl = required<number>(fields, 'token_ttl');
      checkTtlPair(role, 'token_ttl');
    },
    reset: (role) => {
      role.tokenTtl = 0;
    },
    helpSynopsis: 'Initial TTL of the tokens the role issues, in seconds.',
  },
  {
    suffix: 'token-max-ttl',
    fields: { token_max_ttl: TOKEN_FIELDS.token_max_ttl },
    read: (role) => ({ token_max_ttl: role.tokenMaxTtl }),
    update: (role, fields) => {
      role.tokenMaxTtl = required<number>(fields, 'token_max_ttl');
      checkTtlPair(role, 'token_max_ttl');
    },
    reset: (role) => {
      role.tokenMaxTtl = 0;
    },
    helpSynopsis: 'Maximum lifetime of the tokens the role issues, in seconds.',
  },
  {
    suffix: 'token-num-uses',
    fields: { token_num_uses: TOKEN_FIELDS.token_num_uses },
    read: (role) => ({ token_num_uses: role.tokenNumUses }),
    update: (role, fields) => {
      const uses = required<number>(fields, 'token_num_uses');
      checkNotNegative('token_num_uses', uses);
      role.tokenNumUses = uses;
    },
    reset: (role) => {
      role.tokenNumUses = 0;
    },
    helpSynopsis: 'Use limit of the tokens the role issues.',
  },
  {
    suffix: 'token-bound-cidrs',
    fields: { token_bound_cidrs: TOKEN_FIELDS.token_bound_cidrs },
    read: (role) => ({ token_bound_cidrs: role.tokenBoundCidrs }),
    update: (role, fields) => {
      const cidrs = required<string[]>(fields, 'token_bound_cidrs');
      checkCidrs('token_bound_cidrs', cidrs);
      role.tokenBoundCidrs = cidrs;
    },
    reset: (role) => {
      role.tokenBoundCidrs = [];
    },
    helpSynopsis: 'CIDR blocks the tokens the role issues may be used from.',
  },
  {
    suffix: 'bind-secret-id',
    fields: { bind_secret_id: ROLE_FIELDS.bind_secret_id },
    read: (role) => ({ bind_secret_id: role.bindSecretId }),
    update: (role, fields) => {
      role.bindSecretId = required<boolean>(fields, 'bind_secret_id');
    },
    reset: (role) => {
      role.bindSecretId = true;
    },
    helpSynopsis: 'Whether a login must present a secret ID.',
  },
  {
    suffix: 'secret-id-bound-cidrs',
    fields: { secret_id_bound_cidrs: ROLE_FIELDS.secret_id_bound_cidrs },
    read: (role) => ({ secret_id_bound_cidrs: role.secretIdBoundCidrs }),
    update: (role, fields) => setSecretIdBoundCidrs(role, required<string[]>(fields, 'secret_id_bound_cidrs'), 'secret_id_bound_cidrs'),
    reset: (role) => {
      role.secretIdBoundCidrs = [];
    },
    helpSynopsis: 'CIDR blocks that may log in with the role.',
  },
  {
    suffix: 'bound-cidr-list',
    fields: { bound_cidr_list: ROLE_FIELDS.bound_cidr_list },
    read: (role) => ({ bound_cidr_list: role.secretIdBoundCidrs }),
    update: (role, fields) => setSecretIdBoundCidrs(role, required<string[]>(fields, 'bound_cidr_list'), 'bound_cidr_list'),
    reset: (role) => {
      role.secretIdBoundCidrs = [];
    },
    helpSynopsis: 'Deprecated name of secret-id-bound-cidrs.',
  },
  {
    suffix: 'period',
    fields: { token_period: TOKEN_FIELDS.token_period, period: ROLE_FIELDS.period },
    read: (role) => ({ token_period: role.tokenPeriod, period: role.tokenPeriod }),
    update: (role, fields, system) => {
      const period = required<number>(fields, 'token_period', 'period');
      checkPeriod(period, system);
      role.tokenPeriod = period;
    },
    reset: (role) => {
      role.tokenPeriod = 0;
    },
    helpSynopsis: 'Period of the tokens the role issues, in seconds; 0 makes them non-periodic.',
  },
  {
    suffix: 'local-secret-ids',
    fields: {},
    read: (role) => ({ local_secret_ids: role.localSecretIds }),
    helpSynopsis: 'Whether secret IDs of the role are local to the cluster; set only at creation.',
  },
];

function setSecretIdBoundCidrs(role: RoleEntry, cidrs: string[], field: string): void {
  if (cidrs.length === 0) throw badRequest(`missing ${field}: send at least one CIDR block, or DELETE the path to clear the list`);
  checkCidrs(field, cidrs);
  role.secretIdBoundCidrs = cidrs;
}

/** Returns the role name of a request; the table's field maps lose its type, so it is checked here. */
function roleNameOf(fields: FieldData<FieldMap>): string {
  const name = fields.get('role_name');
  if (typeof name !== 'string') throw internalError('role_name of a per-field role path is not a string');
  return name;
}

/** Returns the per-field paths, one declaration each. */
export function pathRoleFields(context: AppRoleContext): PathDefinition<FieldMap>[] {
  return FIELD_PATHS.map((spec) => roleFieldPath(context, spec));
}

function roleFieldPath(context: AppRoleContext, spec: RoleFieldPath): PathDefinition<FieldMap> {
  // Sets or resets the value under the role's lock. Like Vault, a reset of a
  // role that does not exist succeeds and a set is not found.
  const change = (request: Request, name: string, apply: (role: RoleEntry) => void, missingOk: boolean): Promise<null> =>
    context.roleLocks.run(name, async () => {
      const role = missingOk ? await readRole(request.storage, name) : await requireRole(request.storage, name);
      if (role === null) return null;
      apply(role);
      await saveRole(request.storage, context.salt, role);
      return null;
    });
  const { update, reset } = spec;

  return definePath({
    pattern: `role/${nameSegment('role_name')}/${spec.suffix}`,
    fields: { ...spec.fields, role_name: ROLE_NAME_FIELD },
    operations: {
      read: async (request, fields) => {
        const role = await readRole(request.storage, roleNameOf(fields));
        return role === null ? null : { data: spec.read(role) };
      },
      ...(update === undefined
        ? {}
        : {
            update: (request, fields) =>
              change(
                request,
                roleNameOf(fields),
                (role) => {
                  update(role, fields, context.system);
                  checkRoleTokenSettings(role);
                },
                false,
              ),
          }),
      ...(reset === undefined ? {} : { delete: (request, fields) => change(request, roleNameOf(fields), reset, true) }),
    },
    helpSynopsis: spec.helpSynopsis,
    helpDescription: 'Reads, sets or resets one setting of a role; the same field of role/<role_name> sets it too.',
  });
}
