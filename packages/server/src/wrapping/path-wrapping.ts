/**
 * sys/wrapping/wrap, unwrap, lookup and rewrap.
 */
import { badRequest, definePath, permissionDenied, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { rawJson } from '../http/envelope.js';
import type { CallerRegistry } from '../token/caller.js';
import type { TokenEntry } from '../token/token-entry.js';
import type { TokenStore } from '../token/token-store.js';
import { INVALID_WRAPPING_TOKEN, isWrappingToken, type ResponseWrapper } from './wrapping.js';

export interface WrappingDeps {
  wrapper: ResponseWrapper;
  tokens: TokenStore;
  callers: CallerRegistry;
}

/** Paths below `sys/` reachable without a token. */
export const UNAUTHENTICATED_WRAPPING_PATHS = ['wrapping/lookup'];

/**
 * Resolves the wrapping token of a request: the `token` field, else the
 * caller's own token. With `spend`, a token from the field uses up its one
 * use first, so that of concurrent unwraps only one gets the response. The
 * pipeline has already spent the caller's own token.
 */
async function wrappingEntry(deps: WrappingDeps, requestId: string, token: string, spend: boolean): Promise<TokenEntry> {
  if (token !== '') {
    const resolved = await deps.tokens.lookup(token);
    if (resolved === null || !isWrappingToken(resolved.entry)) throw badRequest(INVALID_WRAPPING_TOKEN);
    if (spend && (await deps.tokens.use(resolved.entry)) === 'exhausted') throw badRequest(INVALID_WRAPPING_TOKEN);
    return resolved.entry;
  }
  // The caller's own token was spent by this request, so use the entry the pipeline resolved.
  const caller = deps.callers.get(requestId);
  if (caller?.entry === undefined) throw permissionDenied();
  if (!isWrappingToken(caller.entry)) throw badRequest(INVALID_WRAPPING_TOKEN);
  return caller.entry;
}

export function wrappingPaths(deps: WrappingDeps): PathDefinition<FieldMap>[] {
  const tokenField = { token: { type: 'string', description: 'The wrapping token; defaults to the calling token.' } } as const;
  return [
    definePath({
      pattern: 'wrapping/wrap',
      fields: {},
      takesArbitraryInput: true,
      operations: {
        async update(_request, fields) {
          if (Object.keys(fields.raw).length === 0) throw badRequest('missing data to wrap');
          return { data: fields.raw };
        },
      },
      helpSynopsis: 'Wrap arbitrary data in a single-use token.',
      helpDescription: 'Returns a wrapping token whose first unwrap returns the data. The TTL comes from X-Vault-Wrap-TTL, 5 minutes by default.',
    }),
    definePath({
      pattern: 'wrapping/unwrap',
      fields: tokenField,
      operations: {
        async update(request, fields) {
          const entry = await wrappingEntry(deps, request.id, fields.get('token'), true);
          const body = await deps.wrapper.unwrap(entry);
          return rawJson({ ...body, request_id: request.id });
        },
      },
      helpSynopsis: 'Unwrap a wrapped response.',
      helpDescription: 'Returns the wrapped response and revokes the wrapping token, so it works once.',
    }),
    definePath({
      pattern: 'wrapping/lookup',
      fields: tokenField,
      operations: {
        async update(request, fields) {
          if (fields.get('token') === '') throw badRequest('missing required field "token"');
          const entry = await wrappingEntry(deps, request.id, fields.get('token'), false);
          return {
            data: {
              creation_path: entry.path,
              creation_time: await deps.wrapper.creationTime(entry),
              creation_ttl: entry.creationTtl,
            },
          };
        },
      },
      helpSynopsis: 'Look up a wrapping token.',
      helpDescription: 'Returns the creation path, time and TTL of a wrapping token without unwrapping it.',
    }),
    definePath({
      pattern: 'wrapping/rewrap',
      fields: tokenField,
      operations: {
        async update(request, fields) {
          const entry = await wrappingEntry(deps, request.id, fields.get('token'), true);
          const info = await deps.wrapper.rewrap(entry);
          return rawJson({
            request_id: request.id,
            lease_id: '',
            renewable: false,
            lease_duration: 0,
            data: null,
            wrap_info: info,
            warnings: null,
            auth: null,
            mount_type: 'system',
          });
        },
      },
      helpSynopsis: 'Move a wrapped response to a new wrapping token.',
      helpDescription: 'Revokes the given wrapping token and returns a new one with the same TTL and creation path.',
    }),
  ];
}
