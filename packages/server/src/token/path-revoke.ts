/**
 * auth/token/revoke, revoke-self, revoke-orphan and revoke-accessor.
 */
import { badRequest, definePath, permissionDenied, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { TokenBackendDeps } from './backend.js';

export function revokePaths(deps: TokenBackendDeps): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'revoke-self',
      fields: {},
      operations: {
        async update(request) {
          const caller = deps.caller(request.id);
          if (caller?.entry === undefined) throw permissionDenied();
          await deps.store.revokeTree(caller.entry.saltedId);
          return null;
        },
      },
      helpSynopsis: 'Revoke the calling token and its children.',
      helpDescription: 'Revokes the token that made the request, every non-orphan descendant and all their leases.',
    }),
    definePath({
      pattern: 'revoke',
      fields: { token: { type: 'string', description: 'The token to revoke.', required: true } },
      operations: {
        async update(_request, fields) {
          const resolved = await deps.store.lookup(fields.get('token'));
          // Vault answers 204 for an unknown token too, so revocation is idempotent.
          if (resolved !== null && resolved.entry.type === 'service') await deps.store.revokeTree(resolved.entry.saltedId);
          return null;
        },
      },
      helpSynopsis: 'Revoke a token and its children.',
      helpDescription: 'Revokes the token, every non-orphan descendant and all their leases.',
    }),
    definePath({
      pattern: 'revoke-orphan',
      fields: { token: { type: 'string', description: 'The token to revoke.', required: true } },
      operations: {
        async update(request, fields) {
          const caller = deps.caller(request.id);
          if (!caller?.isRoot && !caller?.hasSudo) throw permissionDenied('root or sudo privileges required to revoke and orphan');
          const resolved = await deps.store.lookup(fields.get('token'));
          if (resolved !== null) await deps.store.revokeOrphan(resolved.entry.saltedId);
          return null;
        },
      },
      helpSynopsis: 'Revoke a token and orphan its children.',
      helpDescription: 'Revokes the token but keeps its children, which become orphans. Needs root or sudo.',
    }),
    definePath({
      pattern: 'revoke-accessor',
      fields: { accessor: { type: 'string', description: 'Accessor of the token.', required: true } },
      operations: {
        async update(_request, fields) {
          const entry = await deps.store.lookupByAccessor(fields.get('accessor'));
          if (entry === null) throw badRequest('invalid accessor');
          await deps.store.revokeTree(entry.saltedId);
          return null;
        },
      },
      helpSynopsis: 'Revoke a token by its accessor.',
      helpDescription: 'Revokes the token and its children without revealing the token ID.',
    }),
  ];
}
