/**
 * auth/token/lookup, lookup-self and lookup-accessor.
 */
import { badRequest, definePath, permissionDenied, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { TokenBackendDeps } from './backend.js';
import { describeToken, type TokenEntry } from './token-entry.js';

/**
 * Describes a token as Vault's lookups do. When the token's entity adds
 * policies, `identity_policies` lists them, and `external_namespace_policies`
 * is empty because Coffer has no namespaces.
 */
async function lookupResponse(deps: TokenBackendDeps, entry: TokenEntry, id: string | undefined): Promise<{ data: Record<string, unknown> }> {
  const data = describeToken(entry, id);
  if (entry.entityId === '') return { data };

  const identityPolicies = await deps.identityPolicies(entry.entityId);
  if (identityPolicies.length > 0) {
    data.identity_policies = identityPolicies;
    data.external_namespace_policies = {};
  }
  return { data };
}

export function lookupPaths(deps: TokenBackendDeps): PathDefinition<FieldMap>[] {
  const lookupSelf = async (requestId: string) => {
    const caller = deps.caller(requestId);
    if (caller?.entry === undefined) throw permissionDenied();
    return lookupResponse(deps, caller.entry, caller.token);
  };
  const lookupToken = async (token: string) => {
    if (token === '') throw badRequest('missing required field "token"');
    const resolved = await deps.store.lookup(token);
    if (resolved === null) throw permissionDenied('bad token');
    return lookupResponse(deps, resolved.entry, resolved.id);
  };

  return [
    definePath({
      pattern: 'lookup-self',
      fields: { token: { type: 'string', description: 'Ignored; the calling token is looked up.' } },
      operations: {
        read: (request) => lookupSelf(request.id),
        update: (request) => lookupSelf(request.id),
      },
      helpSynopsis: 'Look up the calling token.',
      helpDescription: 'Returns the properties of the token that made the request.',
    }),
    definePath({
      pattern: 'lookup',
      fields: { token: { type: 'string', description: 'The token to look up.' } },
      operations: {
        read: async (_request, fields) => lookupToken(fields.get('token')),
        update: async (_request, fields) => lookupToken(fields.get('token')),
      },
      helpSynopsis: 'Look up a token.',
      helpDescription: 'Returns the properties of the given token.',
    }),
    definePath({
      pattern: 'lookup-accessor',
      fields: { accessor: { type: 'string', description: 'Accessor of the token.', required: true } },
      operations: {
        async update(_request, fields) {
          const entry = await deps.store.lookupByAccessor(fields.get('accessor'));
          if (entry === null) throw badRequest('invalid accessor');
          return lookupResponse(deps, entry, undefined);
        },
      },
      helpSynopsis: 'Look up a token by its accessor.',
      helpDescription: 'Returns the properties of the token without its ID.',
    }),
  ];
}
