/**
 * A local stand-in for Azure Key Vault and its Microsoft Entra ID token
 * endpoint, for tests only: neither can run offline. One HTTPS server on a
 * loopback port, with a self-signed certificate made by openssl, serves:
 *
 * - the OpenID configuration and the OAuth 2.0 client credentials token
 *   endpoint under `/{tenant}/`, checking the client ID, secret and scope;
 * - the Key Vault REST API: GET `keys/{name}[/{version}]` and POST
 *   `keys/{name}/{version}/wrapkey|unwrapkey` with RSA-OAEP-256. A request
 *   without a valid bearer token gets 401 and the
 *   `WWW-Authenticate: Bearer authorization=..., resource=...` challenge.
 */
import { execFile } from 'node:child_process';
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyVaultDouble {
  /** `https://127.0.0.1:<port>`: the vault URL, and the authority host for AZURE_AUTHORITY_HOST. */
  url: string;
  /** Path of the PEM certificate the server presents; trust it with the seal's `tls_ca_cert`. */
  caFile: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  keyName: string;
  /** Requests received so far, as `METHOD path` without the query, in order. */
  readonly requests: string[];
  /** Adds a new version of a key (creating the key if needed) and returns the version. */
  rotateKey(name: string): string;
  close(): Promise<void>;
}

interface KeyVersion {
  version: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** The resource Key Vault names in its challenge, as the public cloud does. */
const KEY_VAULT_RESOURCE = 'https://vault.azure.net';

/** Starts the double on a free loopback port. */
export async function startKeyVaultDouble(): Promise<KeyVaultDouble> {
  const directory = await mkdtemp(join(tmpdir(), 'coffer-akv-double-'));
  const certFile = join(directory, 'cert.pem');
  const keyFile = join(directory, 'key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
  ]);

  const state: DoubleState = {
    tenantId: randomUUID(),
    clientId: randomUUID(),
    clientSecret: randomBytes(16).toString('hex'),
    tokens: new Set(),
    keys: new Map(),
    requests: [],
    url: '',
  };
  const rotateKey = (name: string): string => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const version = randomBytes(16).toString('hex');
    const versions = state.keys.get(name) ?? [];
    versions.push({ version, privateKey, publicKey });
    state.keys.set(name, versions);
    return version;
  };

  const server = createServer({ cert: await readFile(certFile), key: await readFile(keyFile) }, (request, response) => {
    handle(state, request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rotateKey('coffer-key');

  return {
    url: state.url,
    caFile: certFile,
    tenantId: state.tenantId,
    clientId: state.clientId,
    clientSecret: state.clientSecret,
    keyName: 'coffer-key',
    requests: state.requests,
    rotateKey,
    async close() {
      await closeServer(server);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

interface DoubleState {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Access tokens issued and not yet expired. */
  tokens: Set<string>;
  keys: Map<string, KeyVersion[]>;
  requests: string[];
  url: string;
}

async function handle(state: DoubleState, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const url = new URL(request.url ?? '/', state.url);
  state.requests.push(`${request.method} ${url.pathname}`);

  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  if (segments[0] === state.tenantId) return handleEntra(state, segments.slice(1), request.method ?? '', body, response);
  if (segments[0] === 'keys') return handleKeys(state, segments.slice(1), request, body, response);
  sendJson(response, 404, { error: { code: 'NotFound', message: `no route for ${url.pathname}` } });
}

/** Serves the Microsoft Entra ID endpoints that MSAL uses for client credentials. */
function handleEntra(state: DoubleState, rest: string[], method: string, body: string, response: ServerResponse): void {
  const authority = `${state.url}/${state.tenantId}`;
  if (method === 'GET' && rest.join('/') === 'v2.0/.well-known/openid-configuration') {
    return sendJson(response, 200, {
      issuer: `${authority}/v2.0`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
      jwks_uri: `${authority}/discovery/v2.0/keys`,
      response_types_supported: ['code', 'token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
  }
  if (method === 'POST' && rest.join('/') === 'oauth2/v2.0/token') {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') {
      return sendJson(response, 400, { error: 'unsupported_grant_type', error_description: 'only client_credentials is supported' });
    }
    if (form.get('client_id') !== state.clientId || form.get('client_secret') !== state.clientSecret) {
      return sendJson(response, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
    }
    if (form.get('scope') !== `${KEY_VAULT_RESOURCE}/.default`) {
      return sendJson(response, 400, { error: 'invalid_scope', error_description: `unexpected scope ${form.get('scope')}` });
    }
    const token = randomBytes(24).toString('base64url');
    state.tokens.add(token);
    return sendJson(response, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
  }
  sendJson(response, 404, { error: 'not_found', error_description: `no route for ${rest.join('/')}` });
}

function handleKeys(state: DoubleState, rest: string[], request: IncomingMessage, body: string, response: ServerResponse): void {
  const authorization = String(request.headers.authorization ?? '');
  const token = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
  if (!state.tokens.has(token)) {
    response.setHeader('WWW-Authenticate', `Bearer authorization="${state.url}/${state.tenantId}", resource="${KEY_VAULT_RESOURCE}"`);
    return sendJson(response, 401, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } });
  }

  const [name, version, operation] = rest;
  const versions = name === undefined ? undefined : state.keys.get(name);
  const key = version === undefined || version === '' ? versions?.at(-1) : versions?.find((candidate) => candidate.version === version);
  if (key === undefined) {
    return sendJson(response, 404, {
      error: { code: 'KeyNotFound', message: `A key with (name/id) ${name}/${version ?? ''} was not found in this key vault.` },
    });
  }
  const kid = `${state.url}/keys/${name}/${key.version}`;
  if (request.method === 'GET' && operation === undefined) {
    const jwk = key.publicKey.export({ format: 'jwk' });
    return sendJson(response, 200, {
      key: { kid, kty: 'RSA', key_ops: ['wrapKey', 'unwrapKey', 'encrypt', 'decrypt'], n: jwk.n, e: jwk.e },
      attributes: { enabled: true, created: 1_700_000_000, updated: 1_700_000_000, recoveryLevel: 'Recoverable+Purgeable' },
    });
  }
  if (request.method === 'POST' && (operation === 'wrapkey' || operation === 'unwrapkey')) {
    const input = JSON.parse(body || '{}') as { alg?: string; value?: string };
    if (input.alg !== 'RSA-OAEP-256' || typeof input.value !== 'string') {
      return sendJson(response, 400, { error: { code: 'BadParameter', message: 'Property alg must be RSA-OAEP-256 and value is required.' } });
    }
    const value = Buffer.from(input.value, 'base64url');
    const padding = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
    let result: Buffer;
    try {
      result = operation === 'wrapkey' ? publicEncrypt({ key: key.publicKey, ...padding }, value) : privateDecrypt({ key: key.privateKey, ...padding }, value);
    } catch {
      return sendJson(response, 400, { error: { code: 'BadParameter', message: 'Bad Request' } });
    }
    return sendJson(response, 200, { kid, value: result.toString('base64url') });
  }
  sendJson(response, 405, { error: { code: 'MethodNotAllowed', message: `${request.method} is not allowed here` } });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body));
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': payload.length });
  response.end(payload);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
