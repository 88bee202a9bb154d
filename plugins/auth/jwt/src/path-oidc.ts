/**
 * The OIDC authorization code flow (OpenID Connect Core 1.0, section 3.1)
 * with PKCE (RFC 7636). `oidc/auth_url` returns the provider's
 * authorization URL for a browser. `oidc/callback` exchanges the code the
 * provider redirected back with for an ID token, checks it for the role,
 * and returns the login.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { badRequest, definePath, type FieldData, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import { audienceList } from './claims.js';
import { hasOidcClient, type ConfigEntry } from './config.js';
import type { JwtContext } from './context.js';
import { requestJson } from './http-client.js';
import { randomToken, secretsEqual, type OidcState } from './oidc-state.js';
import { authOrReject, checkAddress, requireConfig, requireRole } from './path-login.js';
import type { RoleEntry } from './roles.js';
import { validateToken } from './validate.js';

const AUTH_URL_FIELDS = {
  role: { type: 'lowercase_string', description: 'Role to log in with; the configured default_role when empty.' },
  redirect_uri: { type: 'string', description: 'Where the provider sends the browser back; one of the role\'s allowed_redirect_uris.' },
  client_nonce: { type: 'string', description: 'A nonce of the caller that the callback must repeat.' },
} as const;

const CALLBACK_FIELDS = {
  state: { type: 'string', description: 'The state from the authorization URL, repeated by the provider.' },
  code: { type: 'string', description: 'The authorization code from the provider.' },
  nonce: { type: 'string', description: 'Accepted for compatibility and not used; the ID token carries the nonce that is checked.' },
  client_nonce: { type: 'string', description: 'The client_nonce given to oidc/auth_url, when one was.' },
  error_description: { type: 'string', description: 'The provider\'s description of a failed authorization.' },
} as const;

/** Prefix of callback failures, so a caller can tell them from other errors. */
const LOGIN_FAILED = 'login failed:';

export function pathOidcAuthUrl(context: JwtContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'oidc/auth_url',
    fields: AUTH_URL_FIELDS,
    operations: { update: (request, fields) => authUrl(context, request, fields) },
    helpSynopsis: 'Request an authorization URL to start an OIDC login.',
    helpDescription: `
Returns auth_url, the provider's authorization URL with a new state, nonce and
PKCE challenge. The response is an empty auth_url when the redirect_uri is not
allowed for the role, so that this unauthenticated path reveals nothing.`,
  });
}

export function pathOidcCallback(context: JwtContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'oidc/callback',
    fields: CALLBACK_FIELDS,
    // Providers add parameters of their own to the redirect, such as session_state or iss.
    takesArbitraryInput: true,
    operations: { read: (request, fields) => callback(context, request, fields) },
    helpSynopsis: 'Complete an OIDC login with the code the provider returned.',
    helpDescription: `
Exchanges the authorization code for an ID token at the provider's token
endpoint, checks the token's signature, nonce, audience and claims for the
role, and returns a token. Each state can be used once, within ten minutes.`,
  });
}

async function authUrl(context: JwtContext, request: Request, fields: FieldData<typeof AUTH_URL_FIELDS>): Promise<Response> {
  const config = await requireConfig(request);
  if (!hasOidcClient(config)) throw badRequest('OIDC login is not configured for this mount');
  const { name, role } = await requireRole(request, config, fields.get('role'));
  const redirectUri = fields.get('redirect_uri').trim();
  if (redirectUri === '') throw badRequest('missing redirect_uri');

  const empty = { data: { auth_url: '' } };
  if (role.roleType !== 'oidc' || !redirectAllowed(redirectUri, role.allowedRedirectUris)) {
    context.logger.warn({ role: name }, 'unauthorized redirect_uri');
    return empty;
  }
  let endpoint: string;
  try {
    endpoint = (await context.keys.discover(config)).authorizationEndpoint;
  } catch (err) {
    context.logger.warn({ err, role: name }, 'oidc discovery failed');
    return empty;
  }

  const login: OidcState = { roleName: name, redirectUri, nonce: randomToken(), clientNonce: fields.get('client_nonce'), codeVerifier: randomToken() };
  const state = context.oidcStates.create(login);
  return { data: { auth_url: authorizationUrl(endpoint, config, role, login, state) } };
}

function authorizationUrl(endpoint: string, config: ConfigEntry, role: RoleEntry, login: OidcState, state: string): string {
  const url = new URL(endpoint);
  const scopes = ['openid', ...role.oidcScopes.filter((scope) => scope !== 'openid')];
  url.searchParams.set('client_id', config.oidcClientId);
  url.searchParams.set('nonce', login.nonce);
  url.searchParams.set('redirect_uri', login.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', scopes.join(' '));
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', createHash('sha256').update(login.codeVerifier).digest('base64url'));
  url.searchParams.set('code_challenge_method', 'S256');
  if (role.maxAge > 0) url.searchParams.set('max_age', String(role.maxAge));
  return url.toString();
}

/**
 * Returns true when `uri` is one of `allowed`. A loopback redirect matches
 * on any port, because native apps listen on a port of their choice
 * (RFC 8252, section 7.3).
 */
export function redirectAllowed(uri: string, allowed: string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return false;
  }
  if (!isLoopback(parsed.hostname)) return allowed.some((entry) => entry.toLowerCase() === uri.toLowerCase());

  const withoutPort = (url: URL): string => {
    const copy = new URL(url);
    copy.port = '';
    return copy.toString();
  };
  return allowed.some((entry) => {
    try {
      return withoutPort(new URL(entry)) === withoutPort(parsed);
    } catch {
      return false;
    }
  });
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

async function callback(context: JwtContext, request: Request, fields: FieldData<typeof CALLBACK_FIELDS>): Promise<Response> {
  const config = await requireConfig(request);
  const login = context.oidcStates.take(fields.get('state'));
  if (login === undefined) throw badRequest(`${LOGIN_FAILED} expired or missing OAuth state`);
  const { name, role } = await requireRole(request, config, login.roleName).catch(() => {
    throw badRequest(`${LOGIN_FAILED} role could not be found`);
  });

  const providerError = fields.get('error_description');
  if (providerError !== '') throw badRequest(`${LOGIN_FAILED} ${providerError}`);
  if (login.clientNonce !== '' && !secretsEqual(fields.get('client_nonce'), login.clientNonce)) throw badRequest('invalid client_nonce');
  checkAddress(request, role);
  const code = fields.get('code');
  if (code === '') throw badRequest(`${LOGIN_FAILED} no code received`);

  const idToken = await exchangeCode(context, config, login, code);
  const claims = await validateToken(context, config, role, idToken, { audiences: [config.oidcClientId], strict: false });
  if (role.boundAudiences.length > 0 && !role.boundAudiences.some((audience) => audienceList(claims.aud).includes(audience))) {
    throw badRequest('error validating claims: aud claim does not match any bound audience');
  }
  if (typeof claims.nonce !== 'string' || !secretsEqual(claims.nonce, login.nonce)) throw badRequest(`${LOGIN_FAILED} invalid ID token nonce`);
  delete claims.nonce;
  if (role.verboseOidcLogging) context.logger.debug({ role: name, claims }, 'oidc provider response');

  return { auth: authOrReject(name, role, claims) };
}

/**
 * Exchanges the code at the token endpoint, authenticating with the client
 * ID and secret in HTTP Basic (RFC 6749, section 2.3.1), and returns the ID token.
 * @throws CofferError (400) when the provider rejects the code or returns no ID token.
 */
async function exchangeCode(context: JwtContext, config: ConfigEntry, login: OidcState, code: string): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(config.oidcClientId)}:${encodeURIComponent(config.oidcClientSecret)}`).toString('base64');
  let body: Record<string, unknown>;
  try {
    const endpoint = (await context.keys.discover(config)).tokenEndpoint;
    const response = await requestJson(endpoint, {
      caPem: config.oidcDiscoveryCaPem,
      headers: { authorization: `Basic ${basic}` },
      form: { grant_type: 'authorization_code', code, redirect_uri: login.redirectUri, code_verifier: login.codeVerifier },
    });
    body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Record<string, unknown>;
    if (response.status !== 200) {
      const reason = typeof body.error === 'string' ? ` (${body.error})` : '';
      throw new Error(`the token endpoint returned status ${response.status}${reason}`);
    }
  } catch (err) {
    context.logger.warn({ err, role: login.roleName }, 'oidc code exchange failed');
    throw badRequest(`${LOGIN_FAILED} error exchanging oidc code: ${(err as Error).message}`);
  }
  if (typeof body.id_token !== 'string' || body.id_token === '') throw badRequest(`${LOGIN_FAILED} token verification failed: no id_token found in response`);
  return body.id_token;
}
