/**
 * auth/token/create, create-orphan and create/<role>: issuing tokens with
 * Vault's rules for policies, parents, TTLs and roles.
 */
import { badRequest, definePath, globMatches, permissionDenied, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { FieldData } from '@coffer/sdk';
import type { CallerContext } from './caller.js';
import type { TokenBackendDeps } from './backend.js';
import { authBlock, issuedTokenResponse, type TokenEntry, type TokenType } from './token-entry.js';
import type { TokenRole } from './roles.js';
import { creationTtl } from './token-ttl.js';

const createFields = {
  role_name: { type: 'string', description: 'Role to create the token through.' },
  id: { type: 'string', description: 'Token ID to use instead of a random one; root only.' },
  policies: { type: 'comma_string_slice', description: 'Policies of the token; defaults to the parent token\'s.' },
  meta: { type: 'kv_pairs', description: 'Metadata attached to the token and written to the audit log.' },
  no_parent: { type: 'bool', description: 'Create an orphan token; needs root or sudo.' },
  no_default_policy: { type: 'bool', description: 'Leave out the default policy.' },
  renewable: { type: 'bool', description: 'Whether the token can be renewed.', default: true },
  ttl: { type: 'duration', description: 'Initial TTL, e.g. "1h".' },
  lease: { type: 'duration', description: 'Deprecated alias of "ttl".' },
  type: { type: 'string', description: '"service" or "batch".' },
  explicit_max_ttl: { type: 'duration', description: 'Hard limit on the token\'s lifetime, renewals included.' },
  display_name: { type: 'string', description: 'Name shown in lookups and the audit log.' },
  num_uses: { type: 'int', description: 'Number of requests the token can make; 0 is unlimited.' },
  period: { type: 'duration', description: 'Make a periodic token renewable for this period each time.' },
  entity_alias: { type: 'string', description: 'Entity alias to attach the token to; needs a role that allows it.' },
} as const;

type CreateFields = typeof createFields;

/** Sorts, lowercases and deduplicates policies, and adds `default` when `addDefault` is set, unless the token is root. */
export function sanitizePolicies(policies: string[], addDefault: boolean): string[] {
  const set = new Set(policies.map((policy) => policy.trim().toLowerCase()).filter((policy) => policy !== ''));
  if (addDefault && !set.has('root')) set.add('default');
  return [...set].sort();
}

function requireCaller(deps: TokenBackendDeps, requestId: string): CallerContext {
  const caller = deps.caller(requestId);
  if (caller?.entry === undefined) throw permissionDenied();
  return caller;
}

export async function createToken(
  deps: TokenBackendDeps,
  requestId: string,
  fields: FieldData<CreateFields>,
  options: { orphan: boolean; role: TokenRole | null },
): Promise<{ auth: Record<string, unknown>; warnings: string[] }> {
  const caller = requireCaller(deps, requestId);
  const parent = caller.entry!;
  const role = options.role;

  if (parent.type === 'batch') throw badRequest('batch tokens cannot create child tokens');
  if (fields.get('num_uses') < 0) throw badRequest(`invalid "num_uses" ${fields.get('num_uses')}: it cannot be negative`);
  const entityAlias = fields.get('entity_alias');
  if (entityAlias !== '') checkEntityAlias(entityAlias, role);
  if (fields.get('id') !== '' && !caller.isRoot && !caller.hasSudo) {
    throw badRequest('root or sudo privileges required to specify token id');
  }
  if (fields.has('id') && !/^[\x21-\x7e]+$/.test(fields.get('id'))) throw badRequest('invalid "id": use printable ASCII without spaces');

  let orphan = options.orphan || role?.orphan === true;
  if (fields.get('no_parent') && role === null && !options.orphan) {
    if (!caller.isRoot && !caller.hasSudo) throw badRequest('root or sudo privileges required to create orphan token');
    orphan = true;
  }

  if (fields.get('policies').some((policy) => policy.trim().toLowerCase() === 'response-wrapping')) {
    throw badRequest('cannot assign policy "response-wrapping": it is reserved for wrapping tokens');
  }
  const type = tokenType(fields.get('type'), role);
  const noDefault = fields.get('no_default_policy') || role?.tokenNoDefaultPolicy === true;
  const policies = choosePolicies(caller, fields, role, noDefault);

  if (type === 'batch') {
    if (policies.includes('root')) throw badRequest('batch tokens cannot be root tokens');
    if (fields.get('period') > 0 || (role?.tokenPeriod ?? 0) > 0) throw badRequest('batch tokens cannot be periodic');
    if (fields.get('num_uses') > 0) throw badRequest('batch tokens cannot have a use limit');
    if (fields.get('id') !== '') throw badRequest('batch tokens cannot have a custom ID');
  }

  const period = role !== null && role.tokenPeriod > 0 ? role.tokenPeriod : fields.get('period');
  if (period > 0 && !caller.isRoot && !caller.hasSudo && role === null) {
    throw badRequest('root or sudo privileges required to create periodic token');
  }
  const explicitMaxTtl = minPositive(fields.get('explicit_max_ttl'), role?.tokenExplicitMaxTtl ?? 0);
  const defaults = deps.ttlDefaults();
  const ttl = creationTtl({
    requested: fields.get('ttl') || fields.get('lease'),
    period,
    explicitMaxTtl,
    defaultTtl: defaults.defaultTtl,
    maxTtl: defaults.maxTtl,
    isRoot: policies.length === 1 && policies[0] === 'root',
  });

  const now = Date.now();
  const numUses = role !== null && role.tokenNumUses > 0 ? minPositive(role.tokenNumUses, fields.get('num_uses')) : fields.get('num_uses');
  const entry: Omit<TokenEntry, 'saltedId' | 'accessor' | 'cubbyholeId'> = {
    parent: orphan ? '' : parent.saltedId,
    policies,
    path: creationPath(role, options.orphan),
    meta: Object.keys(fields.get('meta')).length > 0 ? fields.get('meta') : null,
    displayName: displayName(fields.get('display_name')),
    numUses,
    creationTime: Math.floor(now / 1000),
    creationTtl: ttl.ttl,
    expireTime: ttl.ttl === 0 ? 0 : now + ttl.ttl * 1000,
    lastRenewalTime: 0,
    explicitMaxTtl,
    period,
    renewable: fields.get('renewable') && (role?.renewable ?? true) && type === 'service',
    type,
    role: role?.name ?? '',
    entityId: await newTokenEntity(deps, entityAlias, orphan, parent),
    boundCidrs: childBoundCidrs(parent, role, orphan),
  };

  const created = await deps.store.create(entry, fields.get('id') || undefined);
  await deps.onCreated(created.entry);
  return { auth: authBlock(created.token, created.entry, now), warnings: ttl.warnings };
}

/**
 * Returns the entity of a new token. A child stays tied to its parent's
 * entity, as in Vault, so disabling the entity also stops the children. An
 * orphan starts without one. An entity alias, checked beforehand, names it
 * instead, and is created with its entity when missing.
 */
async function newTokenEntity(deps: TokenBackendDeps, entityAlias: string, orphan: boolean, parent: TokenEntry): Promise<string> {
  if (entityAlias !== '') return deps.entityOfAlias(entityAlias);
  return orphan ? '' : parent.entityId;
}

/**
 * Checks that a role allows `alias`, comparing lower case as Vault does,
 * because a role's allowed aliases match whatever case the caller sends.
 * @throws CofferError (400) without a role, or when the role does not allow the alias.
 */
function checkEntityAlias(alias: string, role: TokenRole | null): void {
  if (role === null) throw badRequest('invalid "entity_alias": it is only allowed with a token role');
  const lower = alias.toLowerCase();
  const allowed = role.allowedEntityAliases.some((pattern) => {
    const lowerPattern = pattern.toLowerCase();
    return lowerPattern === lower || globMatches(lowerPattern, lower);
  });
  if (!allowed) throw badRequest(`invalid "entity_alias" "${alias}": the role "${role.name}" does not allow it`);
}

/**
 * Returns the CIDR blocks a new token is bound to. As in Vault, a role's
 * blocks win. Without a role, a child keeps its parent's blocks, so it
 * cannot be used from where the parent cannot.
 */
function childBoundCidrs(parent: TokenEntry, role: TokenRole | null, orphan: boolean): string[] {
  if (role !== null) return role.tokenBoundCidrs;
  return orphan ? [] : parent.boundCidrs;
}

/** Returns the creation path a token records, as Vault reports it in lookups. */
function creationPath(role: TokenRole | null, orphanEndpoint: boolean): string {
  if (role !== null) {
    const suffix = role.pathSuffix === '' ? '' : `/${role.pathSuffix}`;
    return `auth/token/create/${role.name}${suffix}`;
  }
  return orphanEndpoint ? 'auth/token/create-orphan' : 'auth/token/create';
}

function tokenType(requested: string, role: TokenRole | null): TokenType {
  const roleType = role?.tokenType ?? 'default-service';
  if (requested !== '' && requested !== 'service' && requested !== 'batch') {
    throw badRequest(`invalid "type" "${requested}": must be "service" or "batch"`);
  }
  if (roleType === 'service' || roleType === 'batch') {
    if (requested !== '' && requested !== roleType) throw badRequest(`invalid "type" "${requested}": the role only issues ${roleType} tokens`);
    return roleType;
  }
  if (requested !== '') return requested as TokenType;
  return roleType === 'default-batch' ? 'batch' : 'service';
}

function choosePolicies(caller: CallerContext, fields: FieldData<CreateFields>, role: TokenRole | null, noDefault: boolean): string[] {
  const parentPolicies = caller.entry!.policies;
  const requested = fields.has('policies') ? sanitizePolicies(fields.get('policies'), false) : [];

  if (role !== null) return rolePolicies(role, requested, parentPolicies, noDefault);

  // As in Vault, a child gets `default` only when its parent has it (or the
  // parent is root or sudo), so a parent without it cannot hand it out.
  const privileged = caller.isRoot || caller.hasSudo;
  const addDefault = !noDefault && (privileged || parentPolicies.includes('default'));
  if (requested.length === 0) {
    return sanitizePolicies(parentPolicies.filter((policy) => policy !== 'default'), addDefault);
  }
  if (requested.includes('root') && !parentPolicies.includes('root')) {
    throw badRequest('root tokens may not be created without parent token being root');
  }
  if (!privileged) {
    const extra = requested.filter((policy) => !parentPolicies.includes(policy));
    if (extra.length > 0) throw badRequest(`child policies must be subset of parent: ${extra.join(', ')} not in the parent's policies`);
  }
  return sanitizePolicies(requested, addDefault);
}

function rolePolicies(role: TokenRole, requested: string[], parentPolicies: string[], noDefault: boolean): string[] {
  const disallowed = (policy: string) =>
    role.disallowedPolicies.includes(policy) || role.disallowedPoliciesGlob.some((glob) => globMatches(glob, policy));
  const allowedByRole = (policy: string) =>
    role.allowedPolicies.includes(policy) || role.allowedPoliciesGlob.some((glob) => globMatches(glob, policy));
  const roleRestricts = role.allowedPolicies.length > 0 || role.allowedPoliciesGlob.length > 0;

  let chosen = requested;
  if (chosen.length === 0) {
    chosen = roleRestricts ? role.allowedPolicies : parentPolicies.filter((policy) => !disallowed(policy));
  }
  const rejected = chosen.filter((policy) => policy !== 'default' && (disallowed(policy) || (roleRestricts && !allowedByRole(policy))));
  if (rejected.length > 0) throw badRequest(`token policies (${rejected.join(', ')}) are not allowed by the role "${role.name}"`);
  if (!roleRestricts && requested.length > 0) {
    const extra = requested.filter((policy) => policy !== 'default' && !parentPolicies.includes(policy) && !parentPolicies.includes('root'));
    if (extra.length > 0) throw badRequest(`token policies (${extra.join(', ')}) must be subset of the parent token's policies`);
  }
  if (chosen.includes('root')) throw badRequest('roles cannot create root tokens');
  return sanitizePolicies(chosen, !noDefault && !disallowed('default'));
}

/**
 * Builds the display name: lower-cased, with "-" for other characters and no
 * dash at either end. The trim uses indexes, because /-+$/ is quadratic on a long run of dashes.
 */
function displayName(requested: string): string {
  const replaced = requested.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  let start = 0;
  let end = replaced.length;
  while (start < end && replaced[start] === '-') start += 1;
  while (end > start && replaced[end - 1] === '-') end -= 1;
  return start === end ? 'token' : `token-${replaced.slice(start, end)}`;
}

function minPositive(a: number, b: number): number {
  if (a > 0 && b > 0) return Math.min(a, b);
  return a > 0 ? a : b;
}

export function createPaths(deps: TokenBackendDeps): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'create',
      fields: createFields,
      operations: {
        async update(request, fields) {
          const { auth, warnings } = await createToken(deps, request.id, fields, { orphan: false, role: null });
          return issuedTokenResponse(auth, warnings);
        },
      },
      helpSynopsis: 'Create a token.',
      helpDescription: 'Creates a child of the calling token, unless no_parent is set by a root or sudo caller.',
    }),
    definePath({
      pattern: 'create-orphan',
      fields: createFields,
      operations: {
        async update(request, fields) {
          const { auth, warnings } = await createToken(deps, request.id, fields, { orphan: true, role: null });
          return issuedTokenResponse(auth, warnings);
        },
      },
      helpSynopsis: 'Create an orphan token.',
      helpDescription: 'Creates a token without a parent, so revoking the caller leaves it alive.',
    }),
    definePath({
      pattern: 'create/(?<role_name>\\w(?:[\\w.-]*\\w)?)',
      fields: createFields,
      operations: {
        async update(request, fields) {
          const role = await deps.roles.get(fields.get('role_name'));
          if (role === null) throw badRequest(`unknown role ${fields.get('role_name')}`);
          const { auth, warnings } = await createToken(deps, request.id, fields, { orphan: false, role });
          return issuedTokenResponse(auth, warnings);
        },
      },
      helpSynopsis: 'Create a token through a role.',
      helpDescription: 'The role decides the allowed policies, orphan status, period, type and TTL limits.',
    }),
  ];
}
