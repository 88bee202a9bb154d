/**
 * identity/oidc: the issuer configuration, token issue and introspection,
 * and the unauthenticated OIDC discovery and JWKS documents, as in Vault's
 * identity tokens API. Keys and roles have their own path files.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition, type Response } from '@coffer/sdk';
import { OIDC_ALGORITHMS } from './oidc-keys.js';
import type { OidcStore } from './oidc-store.js';
import { introspect, issueToken, publishedKeys } from './oidc-tokens.js';
import type { IdentityStore } from './store.js';
import { oidcKeyPaths } from './path-oidc-key.js';
import { oidcRolePaths } from './path-oidc-role.js';

/** Paths below `identity/` served without a token: the OIDC discovery documents. */
export const OIDC_UNAUTHENTICATED_PATHS = ['oidc/.well-known/*'];

export interface OidcPathDeps {
  oidc: OidcStore;
  identity: IdentityStore;
  /** Returns the entity ID of the token behind a request; empty when the token has none. */
  callerEntityId(requestId: string): string;
}

const ISSUER_WARNING =
  'If "issuer" is set explicitly, all tokens must be validated against that address, including those issued by secondary clusters. ' +
  'Setting issuer to "" will restore the default behavior of using the cluster\'s api_addr as the issuer.';

/** An issuer as Vault accepts it: http or https, then a host with an optional port, and nothing after. */
const ISSUER_PATTERN = /^https?:\/\/[^/?#@\s]+$/i;

/**
 * Checks an issuer: http or https, a host and an optional port, nothing else.
 * The text is kept as written, so an upper-case host or an explicit default
 * port, which Vault accepts, stays valid although the URL parser would rewrite it.
 * @throws CofferError (400) with Vault's wording.
 */
function checkIssuer(issuer: string): void {
  if (issuer === '') return;
  let valid = ISSUER_PATTERN.test(issuer);
  if (valid) {
    try {
      valid = new URL(issuer).hostname !== '';
    } catch {
      valid = false;
    }
  }
  if (!valid) throw badRequest('invalid issuer, which must include only a scheme, host, and optional port (e.g. https://example.com:8200)');
}

function rawJson(body: unknown): Response {
  return { raw: { status: 200, contentType: 'application/json', body: JSON.stringify(body) } };
}

function configPath(oidc: OidcStore): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'oidc/config',
    fields: { issuer: { type: 'string', description: 'Issuer URL: scheme, host and optional port; the server\'s api_addr when empty.' } },
    operations: {
      read: async () => ({ data: { issuer: oidc.configuration.issuer } }),
      async update(_request, fields) {
        const issuer = fields.getIfSet('issuer');
        if (issuer === undefined) return null;
        checkIssuer(issuer);
        await oidc.write(async () => ({ changes: { config: { issuer } }, result: undefined }));
        oidc.logger.info({ issuer: issuer === '' ? undefined : issuer }, 'identity token issuer configured');
        return issuer === '' ? null : { data: null, warnings: [ISSUER_WARNING] };
      },
    },
    helpSynopsis: 'Read or set the issuer of identity tokens.',
    helpDescription: 'Tokens carry the issuer plus "/v1/identity/oidc" in their "iss" claim.',
  });
}

function tokenPath(deps: OidcPathDeps): PathDefinition<FieldMap> {
  const { oidc, identity } = deps;
  return definePath({
    pattern: `oidc/token/${nameSegment('name')}`,
    fields: { name: { type: 'string', description: 'Name of the role to issue the token against.' } },
    operations: {
      async read(request, fields) {
        const name = fields.get('name');
        const role = oidc.role(name);
        if (role === undefined) throw badRequest(`role "${name}" not found`);
        const entityId = deps.callerEntityId(request.id);
        if (entityId === '') throw badRequest("no entity associated with the request's token");
        const entity = identity.records.entityOrMergedInto(entityId);
        if (entity === undefined) throw badRequest(`entity "${entityId}" of the request's token was not found`);

        const issued = issueToken(oidc, identity.records, role, entity);
        oidc.logger.info({ role: name, entityId: entity.id }, 'identity token issued');
        return { data: { token: issued.token, client_id: role.clientId, ttl: issued.ttl }, ...(issued.warnings.length > 0 ? { warnings: issued.warnings } : {}) };
      },
    },
    helpSynopsis: 'Issue an identity token for the caller\'s entity.',
    helpDescription: 'Returns a JWT signed by the role\'s key that describes the entity of the calling token.',
  });
}

function introspectPath(deps: OidcPathDeps): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'oidc/introspect/?',
    fields: {
      token: { type: 'string', description: 'The identity token to check.', required: true },
      client_id: { type: 'string', description: 'When set, the token\'s audience must include it.' },
    },
    operations: {
      update: async (_request, fields) => rawJson(introspect(deps.oidc, deps.identity.records, fields.get('token'), fields.get('client_id'), deps.oidc.logger)),
    },
    helpSynopsis: 'Check an identity token.',
    helpDescription: 'Returns {"active": true} when the token verifies and its entity exists and is enabled, else {"active": false} with the reason.',
  });
}

function wellKnownPaths(oidc: OidcStore): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'oidc/\\.well-known/openid-configuration',
      fields: {},
      operations: {
        read: async () =>
          rawJson({
            issuer: oidc.issuer,
            jwks_uri: `${oidc.issuer}/.well-known/keys`,
            response_types_supported: ['id_token'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: OIDC_ALGORITHMS,
          }),
      },
      helpSynopsis: 'OIDC discovery document of identity tokens.',
      helpDescription: 'An OpenID Provider Configuration document naming the issuer and the JWKS URL. Served without a token.',
    }),
    definePath({
      pattern: 'oidc/\\.well-known/keys',
      fields: {},
      operations: { read: async () => rawJson({ keys: publishedKeys(oidc) }) },
      helpSynopsis: 'Public keys that verify identity tokens.',
      helpDescription: 'A JSON Web Key Set of every key still within its verification window. Served without a token.',
    }),
  ];
}

export function oidcPaths(deps: OidcPathDeps): PathDefinition<FieldMap>[] {
  return [
    configPath(deps.oidc),
    ...oidcKeyPaths(deps.oidc),
    ...oidcRolePaths(deps.oidc),
    tokenPath(deps),
    introspectPath(deps),
    ...wellKnownPaths(deps.oidc),
  ];
}
