/**
 * A small OpenID Connect provider for tests, on 127.0.0.1. It serves a
 * discovery document and a JWKS. Its authorization endpoint redirects back
 * with a code at once, because the user is always signed in. Its token
 * endpoint checks the client secret and PKCE verifier and returns a signed
 * ID token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import { closeServer, listen, makeKey, signToken, type TestKey } from './test-support.js';

export interface TestProvider {
  /** The issuer URL, which is also the discovery URL. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  key: TestKey;
  /** Claims every ID token gets besides iss, aud, iat, exp and nonce. */
  claims: JWTPayload;
  /** Overrides for the next ID tokens, applied last, such as a wrong `nonce` or `aud`. */
  overrides: JWTPayload;
  /** Form bodies the token endpoint received, for tests of what the client sent. */
  tokenRequests: Record<string, string>[];
  /** ID tokens the token endpoint returned, for tests that they are never logged. */
  issuedTokens: string[];
  close(): Promise<void>;
}

interface IssuedCode {
  nonce: string;
  redirectUri: string;
  codeChallenge: string;
}

/** Starts the provider on a free loopback port. */
export async function startTestProvider(claims: JWTPayload = { sub: 'user-1', email: 'alice@example.com' }): Promise<TestProvider> {
  const provider: TestProvider = {
    issuer: '',
    clientId: 'coffer-client',
    clientSecret: `secret-${randomBytes(8).toString('hex')}`,
    key: await makeKey('RS256', 'provider-key'),
    claims,
    overrides: {},
    tokenRequests: [],
    issuedTokens: [],
    close: async () => {},
  };
  const codes = new Map<string, IssuedCode>();
  const server = createServer((request, response) => {
    route(provider, codes, request, response).catch((err: Error) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'server_error', error_description: err.message }));
    });
  });
  const { port } = await listen(server);
  provider.issuer = `http://127.0.0.1:${port}`;
  provider.close = () => closeServer(server);
  return provider;
}

async function route(provider: TestProvider, codes: Map<string, IssuedCode>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', provider.issuer);
  if (url.pathname === '/.well-known/openid-configuration') {
    return json(response, 200, {
      issuer: provider.issuer,
      jwks_uri: `${provider.issuer}/keys`,
      authorization_endpoint: `${provider.issuer}/authorize`,
      token_endpoint: `${provider.issuer}/token`,
      response_types_supported: ['code'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
  }
  if (url.pathname === '/keys') return json(response, 200, { keys: [provider.key.publicJwk] });
  if (url.pathname === '/authorize') return authorize(provider, codes, url, response);
  if (url.pathname === '/token' && request.method === 'POST') return token(provider, codes, request, response);
  return json(response, 404, { error: 'not_found' });
}

function authorize(provider: TestProvider, codes: Map<string, IssuedCode>, url: URL, response: ServerResponse): void {
  const query = url.searchParams;
  if (query.get('client_id') !== provider.clientId || query.get('response_type') !== 'code' || query.get('code_challenge_method') !== 'S256') {
    return json(response, 400, { error: 'invalid_request' });
  }
  const code = randomBytes(16).toString('hex');
  const redirectUri = query.get('redirect_uri') ?? '';
  codes.set(code, { nonce: query.get('nonce') ?? '', redirectUri, codeChallenge: query.get('code_challenge') ?? '' });

  const target = new URL(redirectUri);
  target.searchParams.set('code', code);
  target.searchParams.set('state', query.get('state') ?? '');
  response.writeHead(302, { location: target.toString() });
  response.end();
}

async function token(provider: TestProvider, codes: Map<string, IssuedCode>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const form = Object.fromEntries(new URLSearchParams(await readBody(request)));
  provider.tokenRequests.push(form);
  const expected = `Basic ${Buffer.from(`${provider.clientId}:${provider.clientSecret}`).toString('base64')}`;
  if (request.headers.authorization !== expected) return json(response, 401, { error: 'invalid_client' });

  const issued = codes.get(form.code ?? '');
  codes.delete(form.code ?? '');
  const challenge = createHash('sha256').update(form.code_verifier ?? '').digest('base64url');
  if (issued === undefined || issued.redirectUri !== form.redirect_uri || issued.codeChallenge !== challenge) {
    return json(response, 400, { error: 'invalid_grant' });
  }
  const now = Math.floor(Date.now() / 1000);
  const claims = { ...provider.claims, iss: provider.issuer, aud: provider.clientId, nonce: issued.nonce, iat: now, exp: now + 300, ...provider.overrides };
  const idToken = await signToken(provider.key, claims);
  provider.issuedTokens.push(idToken);
  json(response, 200, { access_token: 'opaque-access-token', token_type: 'Bearer', expires_in: 300, id_token: idToken });
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * Follows an authorization URL as a browser would, and returns the query of
 * the redirect the provider returned.
 */
export async function followAuthUrl(authUrl: string): Promise<URLSearchParams> {
  const response = await fetch(authUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null) throw new Error(`the provider returned ${response.status} without a redirect`);
  return new URL(location).searchParams;
}
