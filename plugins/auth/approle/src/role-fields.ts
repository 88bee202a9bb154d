/**
 * The fields of `role/:role_name` and how a request's fields change a role.
 * The per-field paths such as `role/:role_name/secret-id-ttl` reuse the
 * declarations and checks here.
 */
import {
  badRequest,
  checkTokenSettings,
  describeTokenSettings,
  formatDuration,
  readTokenSettings,
  TOKEN_FIELDS,
  type FieldData,
  type FieldMap,
  type SystemView,
  type TokenSettings,
} from '@coffer/sdk';
import { checkCidrs } from './cidr.js';
import { newRole, type RoleEntry } from './roles.js';

export const ROLE_NAME_FIELD = {
  type: 'lowercase_string',
  description: 'Name of the role. Names are case-insensitive and stored in lowercase.',
  required: true,
} as const;

export const ROLE_FIELDS = {
  role_name: ROLE_NAME_FIELD,
  bind_secret_id: { type: 'bool', description: 'Require a secret ID at login. Defaults to true.', default: true },
  secret_id_bound_cidrs: { type: 'comma_string_slice', description: 'CIDR blocks that may log in with this role.' },
  bound_cidr_list: { type: 'comma_string_slice', description: 'Deprecated alias of "secret_id_bound_cidrs".' },
  secret_id_num_uses: { type: 'int', description: 'Default use limit of new secret IDs; 0 is unlimited.' },
  secret_id_ttl: { type: 'duration', description: 'Default lifetime of new secret IDs, e.g. "10m"; 0 never expires.' },
  local_secret_ids: { type: 'bool', description: 'Keep secret IDs local to this cluster. Can be set only when creating the role.' },
  role_id: { type: 'string', description: 'Role ID to set instead of a random UUID.' },
  period: { type: 'duration', description: 'Deprecated alias of "token_period".' },
  ...TOKEN_FIELDS,
} as const;

export type RoleFields = FieldData<typeof ROLE_FIELDS>;

/**
 * Reads the `token_*` fields over `existing`, with the checks the SDK leaves
 * to the method.
 * @throws CofferError (400) naming the invalid field.
 */
export function parseTokenSettings(fields: FieldData<FieldMap>, existing?: TokenSettings): TokenSettings {
  let settings: TokenSettings;
  try {
    settings = readTokenSettings(fields, existing);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  checkCidrs('token_bound_cidrs', settings.tokenBoundCidrs);
  return settings;
}

/**
 * Checks a role's token settings as a whole after one of them changed
 * alone, so a per-field path cannot store what a role write rejects, such
 * as a use limit on a batch token role.
 * @throws CofferError (400) naming the invalid field.
 */
export function checkRoleTokenSettings(settings: TokenSettings): void {
  try {
    checkTokenSettings(settings);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

/** @throws CofferError (400) when `seconds` exceeds the mount's max lease TTL. */
export function checkPeriod(seconds: number, system: SystemView): void {
  const max = system.maxLeaseTtl();
  if (seconds > max) {
    throw badRequest(`period of "${formatDuration(seconds)}" is greater than the backend's maximum lease TTL of "${formatDuration(max)}"`);
  }
}

/** @throws CofferError (400) when `value` is negative. */
export function checkNotNegative(field: string, value: number): void {
  if (value < 0) throw badRequest(`${field} cannot be negative: got ${value}, use 0 for unlimited`);
}

/**
 * Returns the role with the request's fields applied over `existing`, or a
 * new role when there is none, and the warnings for the response.
 * @throws CofferError (400) naming the first invalid field; nothing is stored.
 */
export function applyRoleFields(name: string, existing: RoleEntry | null, fields: RoleFields, system: SystemView): { role: RoleEntry; warnings: string[] } {
  const warnings: string[] = [];
  const settings = parseTokenSettings(fields, existing ?? undefined);
  if (fields.has('token_type') && (settings.tokenType === 'default-service' || settings.tokenType === 'default-batch')) {
    const adjusted = settings.tokenType.slice('default-'.length);
    warnings.push(`${settings.tokenType} has no useful meaning; adjusting to ${adjusted}`);
    settings.tokenType = adjusted;
  }
  if (!fields.has('token_period') && fields.has('period')) settings.tokenPeriod = fields.get('period');
  if (fields.has('token_period') || fields.has('period')) checkPeriod(settings.tokenPeriod, system);
  if (settings.tokenMaxTtl > system.maxLeaseTtl()) {
    warnings.push("token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' max TTL value will be truncated");
  }

  const role: RoleEntry = existing === null ? newRole(name, settings) : { ...existing, ...settings };

  const localSecretIds = fields.getIfSet('local_secret_ids');
  if (localSecretIds !== undefined) {
    if (existing !== null) throw badRequest('local_secret_ids can only be modified during role creation');
    role.localSecretIds = localSecretIds;
  }
  const roleId = fields.getIfSet('role_id');
  if (roleId !== undefined) {
    if (roleId.trim() === '') throw badRequest('invalid "role_id" "": a role ID cannot be empty, leave the field out to keep the current one');
    role.roleId = roleId;
  }
  role.bindSecretId = fields.getIfSet('bind_secret_id') ?? role.bindSecretId;

  const boundCidrs = fields.getIfSet('secret_id_bound_cidrs') ?? fields.getIfSet('bound_cidr_list');
  if (boundCidrs !== undefined) {
    checkCidrs(fields.has('secret_id_bound_cidrs') ? 'secret_id_bound_cidrs' : 'bound_cidr_list', boundCidrs);
    role.secretIdBoundCidrs = boundCidrs;
  }
  const numUses = fields.getIfSet('secret_id_num_uses');
  if (numUses !== undefined) {
    checkNotNegative('secret_id_num_uses', numUses);
    role.secretIdNumUses = numUses;
  }
  role.secretIdTtl = fields.getIfSet('secret_id_ttl') ?? role.secretIdTtl;

  return { role, warnings };
}

/** Returns the role as Vault's read endpoint reports it. */
export function describeRole(role: RoleEntry): Record<string, unknown> {
  return {
    bind_secret_id: role.bindSecretId,
    secret_id_bound_cidrs: role.secretIdBoundCidrs,
    secret_id_num_uses: role.secretIdNumUses,
    secret_id_ttl: role.secretIdTtl,
    local_secret_ids: role.localSecretIds,
    ...describeTokenSettings(role),
  };
}
