/**
 * auth/token/renew, renew-self and renew-accessor.
 */
import { badRequest, definePath, permissionDenied, type FieldMap, type PathDefinition, type RequestConnection } from '@coffer/sdk';
import type { TokenBackendDeps } from './backend.js';
import { isLoginToken, renewLogin } from './login-renewal.js';
import { authBlock, issuedTokenResponse, type TokenEntry } from './token-entry.js';
import { renewedExpiry } from './token-ttl.js';

/**
 * Renews a token. A token from a login is renewed through the auth method
 * that issued it, whose TTL limits apply, and which gets the renewing
 * client's TLS `connection`. Any other token follows the token store's own
 * rules.
 */
async function renew(deps: TokenBackendDeps, entry: TokenEntry, token: string, increment: number, connection: RequestConnection | undefined) {
  if (!entry.renewable) throw badRequest('lease is not renewable');
  if (entry.expireTime === 0) return issuedTokenResponse(authBlock(token, entry), []);

  const now = Date.now();
  const renewed = isLoginToken(entry)
    ? await renewLogin(deps.loginMount(entry.path), entry, increment, now, connection)
    : renewedExpiry({
        creationTime: entry.creationTime,
        creationTtl: entry.creationTtl,
        period: entry.period,
        explicitMaxTtl: entry.explicitMaxTtl,
        maxTtl: deps.ttlDefaults().maxTtl,
        increment,
        now,
      });
  const updated: TokenEntry = { ...entry, expireTime: renewed.expireTime, lastRenewalTime: now };
  await deps.store.update(updated);
  await deps.onRenewed(updated);
  return issuedTokenResponse(authBlock(token, updated, now), renewed.warnings);
}

const incrementField = { type: 'duration', description: 'Requested TTL extension, e.g. "1h"; defaults to the token\'s creation TTL.' } as const;

export function renewPaths(deps: TokenBackendDeps): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'renew-self',
      fields: { increment: incrementField, token: { type: 'string', description: 'Ignored; the calling token is renewed.' } },
      operations: {
        async update(request, fields) {
          const caller = deps.caller(request.id);
          if (caller?.entry === undefined) throw permissionDenied();
          return renew(deps, caller.entry, caller.token, fields.get('increment'), request.connection);
        },
      },
      helpSynopsis: 'Renew the calling token.',
      helpDescription: 'Extends the TTL of the token that made the request, within its max TTL.',
    }),
    definePath({
      pattern: 'renew',
      fields: { token: { type: 'string', description: 'The token to renew.', required: true }, increment: incrementField },
      operations: {
        async update(request, fields) {
          const resolved = await deps.store.lookup(fields.get('token'));
          if (resolved === null) throw badRequest('invalid token');
          return renew(deps, resolved.entry, resolved.id, fields.get('increment'), request.connection);
        },
      },
      helpSynopsis: 'Renew a token.',
      helpDescription: 'Extends the TTL of the given token, within its max TTL.',
    }),
    definePath({
      pattern: 'renew-accessor',
      fields: { accessor: { type: 'string', description: 'Accessor of the token.', required: true }, increment: incrementField },
      operations: {
        async update(request, fields) {
          const entry = await deps.store.lookupByAccessor(fields.get('accessor'));
          if (entry === null) throw badRequest('invalid accessor');
          return renew(deps, entry, '', fields.get('increment'), request.connection);
        },
      },
      helpSynopsis: 'Renew a token by its accessor.',
      helpDescription: 'Extends the TTL of the token without revealing its ID.',
    }),
  ];
}
