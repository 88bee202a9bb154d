/**
 * The token auth backend at `auth/token/`. Until the full token store
 * exists it serves lookups of the caller's own token and of a given token.
 */
import { badRequest, Backend, definePath } from '@coffer/sdk';
import type { Core } from '../core.js';
import type { ResolvedToken } from './token-store.js';

function describeToken(token: ResolvedToken): Record<string, unknown> {
  const entry = token.entry;
  return {
    accessor: entry.accessor,
    creation_time: entry.creationTime,
    creation_ttl: entry.ttl,
    display_name: entry.displayName,
    entity_id: '',
    expire_time: null,
    explicit_max_ttl: entry.explicitMaxTtl,
    id: token.id,
    meta: entry.meta,
    num_uses: entry.numUses,
    orphan: entry.orphan,
    path: entry.path,
    policies: entry.policies,
    ttl: entry.ttl,
    type: entry.type,
  };
}

/**
 * `clientToken` reaches backends salted, so the caller's real token is
 * passed in through `callerToken`, which the pipeline sets for this system
 * backend only.
 */
export function createTokenBackend(core: Core, callerToken: (requestId: string) => string | undefined): Backend {
  const lookup = async (token: string) => {
    const resolved = await core.tokens.lookup(token);
    if (resolved === null) throw badRequest('bad token');
    return { data: describeToken(resolved) };
  };

  return new Backend({
    backendType: 'credential',
    help: 'The token store: every request is authenticated by a token.',
    paths: [
      definePath({
        pattern: 'lookup-self',
        fields: {},
        operations: {
          async read(request) {
            return lookup(callerToken(request.id) ?? '');
          },
          async update(request) {
            return lookup(callerToken(request.id) ?? '');
          },
        },
        helpSynopsis: 'Look up the calling token.',
        helpDescription: 'Returns the properties of the token that made the request.',
      }),
      definePath({
        pattern: 'lookup',
        fields: { token: { type: 'string', description: 'The token to look up.', required: true } },
        operations: {
          async update(_request, fields) {
            return lookup(fields.get('token'));
          },
        },
        helpSynopsis: 'Look up a token.',
        helpDescription: 'Returns the properties of the given token.',
      }),
    ],
  });
}
