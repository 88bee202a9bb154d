/**
 * sys/capabilities, sys/capabilities-self and sys/capabilities-accessor: the
 * capabilities a token has on given paths, from its own policies and its
 * entity's. The response contains one key per path and, for a request about
 * a single path, a `capabilities` key as well.
 */
import {
  badRequest,
  definePath,
  internalError,
  type FieldMap,
  type PathDefinition,
  type Request,
  type Response,
} from '@coffer/sdk';
import type { ACL } from './acl.js';
import { sysDataResponse } from './response.js';
import type { PolicyStore } from './store.js';
import type { EntityContext } from './templates.js';

/** The facts of a token that decide its capabilities. */
interface TokenFacts {
  policies: string[];
  /** The token's entity, whose policies and group policies count too. Empty or absent for none. */
  entityId?: string;
}

/** A looked-up token, as far as these paths need it: a resolved token or its bare entry. */
export type TokenPolicies = { entry: TokenFacts } | TokenFacts;

/** The policies an entity adds to its tokens, as the identity store computes them. */
export interface EntityPolicies {
  /** Policies of the entity and of its groups. */
  identityPolicies: string[];
  /** Facts for templated policy paths. */
  context: EntityContext | undefined;
  disabled: boolean;
  /** False when the entity no longer exists. */
  found: boolean;
}

/** The token store functions the capability paths use. */
export interface TokenLookup {
  lookup(token: string): Promise<TokenPolicies | null>;
  lookupByAccessor(accessor: string): Promise<TokenPolicies | null>;
}

/**
 * Builds the token's ACL from its own policies plus its entity's. Returns
 * `undefined` for a disabled or deleted entity, whose tokens are denied.
 */
async function tokenAcl(deps: CapabilityPathDeps, token: TokenPolicies): Promise<ACL | undefined> {
  const facts = 'entry' in token ? token.entry : token;
  const entityId = facts.entityId ?? '';
  if (entityId === '') return deps.store.acl(facts.policies);

  const entity = await deps.entityPolicies(entityId);
  if (!entity.found || entity.disabled) return undefined;
  return deps.store.acl([...facts.policies, ...entity.identityPolicies], entity.context);
}

export interface CapabilityPathDeps {
  store: PolicyStore;
  tokens: TokenLookup;
  /** The real token of a request in flight, by request ID, because backends see only a salted one. */
  callerToken(requestId: string): string | undefined;
  /** Looks up the policies that a token's entity adds, as the request pipeline does. */
  entityPolicies(entityId: string): Promise<EntityPolicies>;
}

const PATH_FIELDS = {
  paths: { type: 'comma_string_slice', description: 'Paths to report the capabilities on.' },
  path: { type: 'comma_string_slice', description: 'Deprecated name of "paths".' },
} as const;

/** Returns the requested paths, from `paths` or else the deprecated `path`. */
function requestedPaths(paths: string[], deprecatedPath: string[]): string[] {
  if (paths.length === 0) paths = deprecatedPath;
  if (paths.length === 0) throw badRequest('missing "paths": send the paths to check, such as {"paths": ["secret/foo"]}');
  if (paths.includes('')) throw badRequest('invalid "paths": a path is empty');
  return paths;
}

async function capabilitiesResponse(
  deps: CapabilityPathDeps,
  request: Request,
  token: TokenPolicies,
  paths: readonly string[],
): Promise<Response> {
  const acl = await tokenAcl(deps, token);
  const data: Record<string, unknown> = {};
  for (const path of paths) setOwn(data, path, acl === undefined ? ['deny'] : acl.capabilities(path));
  // Vault keeps this key for clients of the single-path API.
  if (paths.length === 1) setOwn(data, 'capabilities', data[paths[0]]);
  return sysDataResponse(request, data);
}

/** Sets a key even when it is `__proto__`, since paths come from the request. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Declares the capability paths, relative to `sys/`. */
export function capabilityPaths(deps: CapabilityPathDeps): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'capabilities',
      fields: { ...PATH_FIELDS, token: { type: 'string', description: 'The token to report on.', required: true } },
      operations: {
        async update(request, fields) {
          const paths = requestedPaths(fields.get('paths'), fields.get('path'));
          const token = await deps.tokens.lookup(fields.get('token'));
          if (token === null) throw badRequest('invalid token');
          return capabilitiesResponse(deps, request, token, paths);
        },
      },
      helpSynopsis: "Report a token's capabilities on paths.",
      helpDescription: 'Returns, for each path, the capabilities the policies of the given token grant there.',
    }),
    definePath({
      pattern: 'capabilities-self',
      fields: PATH_FIELDS,
      operations: {
        async update(request, fields) {
          const paths = requestedPaths(fields.get('paths'), fields.get('path'));
          const caller = deps.callerToken(request.id);
          if (caller === undefined) throw internalError('the calling token is not available to sys/capabilities-self');
          const token = await deps.tokens.lookup(caller);
          if (token === null) throw badRequest('invalid token');
          return capabilitiesResponse(deps, request, token, paths);
        },
      },
      helpSynopsis: "Report the calling token's capabilities on paths.",
      helpDescription: 'Returns, for each path, the capabilities the policies of the calling token grant there.',
    }),
    definePath({
      pattern: 'capabilities-accessor',
      fields: { ...PATH_FIELDS, accessor: { type: 'string', description: 'Accessor of the token to report on.', required: true } },
      operations: {
        async update(request, fields) {
          const paths = requestedPaths(fields.get('paths'), fields.get('path'));
          const token = await deps.tokens.lookupByAccessor(fields.get('accessor'));
          if (token === null) throw badRequest('invalid accessor');
          return capabilitiesResponse(deps, request, token, paths);
        },
      },
      helpSynopsis: 'Report the capabilities of the token with an accessor.',
      helpDescription: 'Returns, for each path, the capabilities the policies of the token with the given accessor grant there.',
    }),
  ];
}
