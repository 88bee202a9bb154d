// HTTP client for Coffer's Vault-compatible API, on node:http and node:https.
// It sends the headers Vault's client sends and reports errors in Vault's format.
import { readFile, readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { parseGoBool, parseJson, stringifyJson, timerDelay } from '@coffer/sdk';
import { formatGoDuration, parseDuration } from './flags.js';
import { humanDuration } from './output.js';
import type { Secret } from './secret.js';
import { parseSecret } from './secret.js';
import { readStoredToken } from './token-helper.js';

/** Address Vault's CLI uses when no address is configured. */
export const defaultAddress = 'https://127.0.0.1:8200';

/** Connection settings of the client, resolved from flags, environment and the token file. */
export interface ClientConfig {
  address: string;
  /** Token sent as X-Vault-Token; '' sends none. */
  token: string;
  /** PEM text of the CA certificates that verify the server, in place of the system's. */
  caCert?: string;
  /** Skips verification of the server's TLS certificate. */
  skipVerify: boolean;
  /** Wrap TTL in seconds, sent as X-Vault-Wrap-TTL. Unset or 0 sends no header, so the server does not wrap. */
  wrapTtl?: number;
  /** Path of the CA file, which a curl command prints in place of its text. */
  caCertPath?: string;
  /** Builds a curl command for the first request in place of sending it, for -output-curl-string. */
  outputCurlString?: boolean;
  /** Headers from COFFER_HEADERS and -header, sent with every request before the X-Vault- ones. */
  headers?: Record<string, string>;
  /** PEM text of the client certificate and its key, for a listener that requires one. */
  clientCert?: string;
  clientKey?: string;
  /** Paths of the CA folder, client certificate and key, which a curl command prints. */
  caPath?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
  /** Name the server certificate must carry, sent as SNI, in place of the address's host. */
  tlsServerName?: string;
  /** Time one request, with its redirects, may take before it fails. Unset waits without limit. */
  timeoutSeconds?: number;
}

/** Settings from command-line flags, which take precedence over the environment. */
export interface ClientOverrides {
  address?: string;
  caCertPath?: string;
  skipVerify?: boolean;
  /** Wrap TTL in seconds from -wrap-ttl. */
  wrapTtl?: number;
  outputCurlString?: boolean;
  headers?: Record<string, string>;
  caPath?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
  tlsServerName?: string;
}

/** Reads COFFER_<name>, falling back to VAULT_<name>; an empty value counts as unset. */
export function envSetting(env: Record<string, string | undefined>, name: string): string | undefined {
  for (const key of [`COFFER_${name}`, `VAULT_${name}`]) {
    const value = env[key];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

function parseEnvBool(name: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const parsed = parseGoBool(value);
  if (parsed !== undefined) return parsed;
  throw new ConfigError(`invalid value "${value}" for COFFER_${name} or VAULT_${name}: use true or false`);
}

/** Time a request may take when COFFER_CLIENT_TIMEOUT is not set, as Vault's client defaults to. */
export const defaultClientTimeoutSeconds = 60;

function parseEnvClientTimeout(value: string | undefined): number {
  if (value === undefined) return defaultClientTimeoutSeconds;
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds <= 0) {
    throw new ConfigError(
      `invalid value "${value}" for COFFER_CLIENT_TIMEOUT or VAULT_CLIENT_TIMEOUT: expected a positive duration such as 30s or a number of seconds`,
    );
  }
  return seconds;
}

/** Parses COFFER_HEADERS, a JSON object of extra request headers, as Vault's client reads VAULT_HEADERS. */
function parseEnvHeaders(value: string | undefined): Record<string, string> {
  if (value === undefined) return {};
  const invalid = 'invalid COFFER_HEADERS or VAULT_HEADERS';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const isStringMap =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((item) => typeof item === 'string');
  if (!isStringMap) {
    throw new ConfigError(`${invalid}: expected a JSON object of header names and string values, such as {"X-Team": "blue"}`);
  }
  const headers = parsed as Record<string, string>;
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase().startsWith('x-vault-')) throw new ConfigError(`${invalid}: "${name}" starts with X-Vault-, which the CLI sets itself`);
  }
  return headers;
}

function parseEnvWrapTtl(value: string | undefined): number {
  if (value === undefined) return 0;
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds < 0) {
    throw new ConfigError(
      `invalid value "${value}" for COFFER_WRAP_TTL or VAULT_WRAP_TTL: expected a duration such as 5m or a number of seconds`,
    );
  }
  return seconds;
}

/** A client setting that cannot be used; the CLI exits 1. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Resolves the client settings. The token comes from COFFER_TOKEN, then
 * VAULT_TOKEN, then the token file that `coffer login` writes.
 *
 * @throws ConfigError when the address is not an http(s) URL, a certificate or key file cannot be read, or a client certificate comes without its key.
 */
export async function resolveClientConfig(
  env: Record<string, string | undefined>,
  overrides: ClientOverrides = {},
): Promise<ClientConfig> {
  const address = (overrides.address || envSetting(env, 'ADDR') || defaultAddress).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(address)) {
    throw new ConfigError(
      `invalid server address "${address}": expected a URL such as http://127.0.0.1:8200 in -address, COFFER_ADDR or VAULT_ADDR`,
    );
  }

  const skipVerify = overrides.skipVerify || parseEnvBool('SKIP_VERIFY', envSetting(env, 'SKIP_VERIFY'));
  const wrapTtl = overrides.wrapTtl ?? parseEnvWrapTtl(envSetting(env, 'WRAP_TTL'));
  const timeoutSeconds = parseEnvClientTimeout(envSetting(env, 'CLIENT_TIMEOUT'));
  const config: ClientConfig = { address, token: envSetting(env, 'TOKEN') ?? '', skipVerify, wrapTtl, timeoutSeconds };
  if (overrides.outputCurlString === true) config.outputCurlString = true;
  const headers = { ...parseEnvHeaders(envSetting(env, 'HEADERS')), ...overrides.headers };
  if (Object.keys(headers).length > 0) config.headers = headers;
  if (config.token === '') config.token = await readStoredToken(env);

  const caCertPath = overrides.caCertPath || envSetting(env, 'CACERT');
  const caPath = overrides.caPath || envSetting(env, 'CAPATH');
  if (caCertPath !== undefined) {
    config.caCert = await readPemFile(caCertPath, 'CA certificate', '-ca-cert, COFFER_CACERT or VAULT_CACERT');
    config.caCertPath = caCertPath;
  } else if (caPath !== undefined) {
    config.caCert = await readCaFolder(caPath);
    config.caPath = caPath;
  }

  const clientCertPath = overrides.clientCertPath || envSetting(env, 'CLIENT_CERT');
  const clientKeyPath = overrides.clientKeyPath || envSetting(env, 'CLIENT_KEY');
  if (clientCertPath !== undefined && clientKeyPath === undefined) {
    throw new ConfigError('a client certificate needs its key: set -client-key, COFFER_CLIENT_KEY or VAULT_CLIENT_KEY as well as -client-cert');
  }
  if (clientKeyPath !== undefined && clientCertPath === undefined) {
    throw new ConfigError('a client key needs its certificate: set -client-cert, COFFER_CLIENT_CERT or VAULT_CLIENT_CERT as well as -client-key');
  }
  if (clientCertPath !== undefined && clientKeyPath !== undefined) {
    config.clientCert = await readPemFile(clientCertPath, 'client certificate', '-client-cert, COFFER_CLIENT_CERT or VAULT_CLIENT_CERT');
    config.clientKey = await readPemFile(clientKeyPath, 'client key', '-client-key, COFFER_CLIENT_KEY or VAULT_CLIENT_KEY');
    config.clientCertPath = clientCertPath;
    config.clientKeyPath = clientKeyPath;
  }
  const tlsServerName = overrides.tlsServerName || envSetting(env, 'TLS_SERVER_NAME');
  if (tlsServerName !== undefined) config.tlsServerName = tlsServerName;
  return config;
}

/** Reads a PEM file named by a setting; `description` and `sources` name it in the error. */
async function readPemFile(path: string, description: string, sources: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`error reading ${description} "${path}" (from ${sources}): ${reason}`);
  }
}

/** Reads every PEM certificate in a folder, as -ca-path and COFFER_CAPATH name it; other files are skipped. */
async function readCaFolder(folder: string): Promise<string> {
  const sources = '-ca-path, COFFER_CAPATH or VAULT_CAPATH';
  let names: string[];
  try {
    names = (await readdir(folder, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name).sort();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`error reading CA folder "${folder}" (from ${sources}): ${reason}`);
  }
  const certificates: string[] = [];
  for (const name of names) {
    const text = await readPemFile(join(folder, name), 'CA certificate', sources);
    if (text.includes('-----BEGIN CERTIFICATE-----')) certificates.push(text);
  }
  if (certificates.length === 0) throw new ConfigError(`no PEM certificate found in CA folder "${folder}" (from ${sources}); add the CA certificates there or use -ca-cert`);
  return certificates.join('\n');
}

/** An error status from the server, formatted as Vault's client formats it. */
export class ResponseError extends Error {
  override name = 'ResponseError';

  constructor(
    readonly method: string,
    readonly url: string,
    readonly statusCode: number,
    /** Messages of the `errors` array, or the raw body when it was not Vault's error JSON. */
    readonly errors: string[],
    readonly rawBody: boolean,
  ) {
    super(formatResponseError(method, url, statusCode, errors, rawBody));
  }
}

function formatResponseError(method: string, url: string, statusCode: number, errors: string[], rawBody: boolean): string {
  const heading = `Error making API request.\n\nURL: ${method} ${url}\nCode: ${statusCode}. ${rawBody ? 'Raw Message' : 'Errors'}:\n\n`;
  if (rawBody) return heading + errors.join('\n');
  return heading + errors.map((message) => `* ${message}`).join('\n');
}

/**
 * The server wrapped the response, as the request's X-Vault-Wrap-TTL asked.
 * The response holds only the wrapping token, so the command cannot go on
 * with it: the run step catches this and prints the wrap information.
 */
export class ResponseWrapped extends Error {
  override name = 'ResponseWrapped';

  constructor(readonly secret: Secret) {
    super('the server returned a wrapped response');
  }
}

/**
 * -output-curl-string was given: the client built a curl command for the
 * request in place of sending it. The run step catches this and prints it.
 */
export class CurlCommandRequested extends Error {
  override name = 'CurlCommandRequested';

  constructor(readonly command: string) {
    super('the request was printed as a curl command, not sent');
  }
}

/** The server could not be reached, or the TLS handshake failed. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

/** One request as it is sent: method, full URL, headers and JSON body text. */
interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A response with its status and body. `body` is the parsed JSON, or undefined for an empty body. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/** Options of one API request. */
export interface RequestOptions {
  body?: unknown;
  /** Query parameters; a list value repeats the parameter. */
  query?: Record<string, string | string[]>;
  contentType?: string;
  /** Return a 404 response instead of throwing, for the callers that treat it as "no value". */
  allowNotFound?: boolean;
  /** Token to send in place of the configured one. */
  token?: string;
  /**
   * False leaves out X-Vault-Wrap-TTL, for a helper request whose response the
   * command reads itself, such as the KV mount lookup. The default is true.
   */
  wrap?: boolean;
  /**
   * False sends the request even with -output-curl-string, for a lookup the
   * command needs before it can build its own request, such as the KV mount
   * lookup, as Vault's CLI does. The default is true.
   */
  curl?: boolean;
}

function encodeApiPath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%(40|3A|24|2C|3B|3D|2B)/gi, (escape) => decodeURIComponent(escape)))
    .join('/');
}

function hasContent(secret: Secret): boolean {
  return (secret.warnings?.length ?? 0) > 0 || Object.keys(secret.data ?? {}).length > 0;
}

/** Client of the `/v1` API; one instance per command run. */
export class CofferClient {
  constructor(readonly config: ClientConfig) {}

  get address(): string {
    return this.config.address;
  }

  /**
   * Sends one request to `/v1/<path>`. LIST is sent as GET with `list=true`,
   * as Vault's client does.
   *
   * @throws ResponseError for a status of 400 or more (except 404 with allowNotFound).
   * @throws ConnectionError when the server cannot be reached.
   * @throws ResponseWrapped when the request asked for wrapping and the server wrapped the response.
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const { outgoing, wrapTtl } = this.buildRequest(method, path, options);
    const { status, bytes } = await this.send(outgoing, options.curl !== false);
    const text = bytes.toString('utf8');
    const parsed = parseBody(text);
    if (status >= 400 && !(status === 404 && options.allowNotFound)) {
      throw errorFromResponse(outgoing.method, outgoing.url, status, text, parsed);
    }
    if (wrapTtl > 0 && parsed.ok && hasWrapInfo(parsed.value)) throw new ResponseWrapped(parseSecret(parsed.value));
    return { status, body: parsed.ok ? parsed.value : undefined };
  }

  /**
   * GETs `/v1/<path>` without wrapping and returns the body as bytes, for a
   * binary response such as a storage snapshot, which decoding as text would corrupt.
   *
   * @throws ResponseError for a status of 400 or more.
   * @throws ConnectionError when the server cannot be reached.
   */
  async readBytes(path: string, query?: Record<string, string | string[]>): Promise<Buffer> {
    const { outgoing } = this.buildRequest('GET', path, { wrap: false, query });
    const { status, bytes } = await this.send(outgoing, true);
    if (status >= 400) {
      const text = bytes.toString('utf8');
      throw errorFromResponse(outgoing.method, outgoing.url, status, text, parseBody(text));
    }
    return bytes;
  }

  /**
   * GETs `/v1/<path>` and passes the body to `onText` as it arrives, until the
   * server ends it or `signal` aborts, for a response with no end such as
   * `sys/monitor`. Redirects are followed as `request` follows them, and the
   * client timeout does not apply.
   *
   * @throws CurlCommandRequested in place of sending, with -output-curl-string.
   * @throws ResponseError for a status of 400 or more.
   * @throws ConnectionError when the server cannot be reached.
   */
  async stream(path: string, query: Record<string, string>, onText: (text: string) => void, signal?: AbortSignal): Promise<void> {
    let { outgoing } = this.buildRequest('GET', path, { wrap: false, query });
    if (this.config.outputCurlString === true) throw new CurlCommandRequested(curlCommand(outgoing, this.config));
    for (let redirects = 0; ; redirects += 1) {
      let result: { status: number; text: string; location?: string };
      try {
        result = await streamOnce(outgoing, this.config, onText, signal);
      } catch (error) {
        throw connectionError(outgoing.method, outgoing.url, this.config.address, error);
      }
      if (result.location !== undefined && [301, 302, 303, 307, 308].includes(result.status) && redirects < maxRedirects) {
        outgoing = { ...outgoing, url: new URL(result.location, outgoing.url).toString() };
        continue;
      }
      if (result.status >= 300) throw errorFromResponse(outgoing.method, outgoing.url, result.status, result.text, parseBody(result.text));
      return;
    }
  }

  /** Builds the method, URL, headers and body of a request, and the wrap TTL it requests. */
  private buildRequest(method: string, path: string, options: RequestOptions): { outgoing: OutgoingRequest; wrapTtl: number } {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) query.append(key, item);
    }
    let httpMethod = method;
    if (method === 'LIST') {
      httpMethod = 'GET';
      query.set('list', 'true');
    }
    const search = query.toString();
    const url = `${this.config.address}/v1/${encodeApiPath(path.replace(/^\/+/, ''))}${search === '' ? '' : `?${search}`}`;

    const headers: Record<string, string> = { ...this.config.headers, 'X-Vault-Request': 'true' };
    const token = options.token ?? this.config.token;
    if (token !== '') headers['X-Vault-Token'] = token;
    const wrapTtl = options.wrap === false ? 0 : (this.config.wrapTtl ?? 0);
    if (wrapTtl > 0) headers['X-Vault-Wrap-TTL'] = formatGoDuration(wrapTtl);
    const outgoing: OutgoingRequest = { method: httpMethod, url, headers };
    if (options.body !== undefined) {
      outgoing.body = stringifyJson(options.body);
      headers['Content-Type'] = options.contentType ?? 'application/json';
    }
    return { outgoing, wrapTtl };
  }

  /**
   * Sends a request, or with -output-curl-string and `curlAllowed` throws its curl command.
   *
   * @throws CurlCommandRequested in place of sending, with -output-curl-string.
   */
  private async send(outgoing: OutgoingRequest, curlAllowed: boolean): Promise<{ status: number; bytes: Buffer }> {
    if (this.config.outputCurlString === true && curlAllowed) throw new CurlCommandRequested(curlCommand(outgoing, this.config));
    const timeoutSeconds = this.config.timeoutSeconds;
    // Capped, as AbortSignal.timeout fires at once past 2^31 - 1 ms and throws past 2^32 - 1.
    const deadline = timeoutSeconds === undefined ? undefined : AbortSignal.timeout(timerDelay(timeoutSeconds * 1000));
    try {
      return await sendFollowingRedirects(outgoing, this.config, deadline);
    } catch (error) {
      if (deadline?.aborted === true) {
        throw new ConnectionError(
          `${outgoing.method} ${outgoing.url}: no response within ${humanDuration(timeoutSeconds ?? 0)}; check the server, or set COFFER_CLIENT_TIMEOUT to wait longer`,
        );
      }
      throw connectionError(outgoing.method, outgoing.url, this.config.address, error);
    }
  }

  /**
   * Reads a path; returns null for 404 without data or warnings, as Vault's `Logical().Read` does.
   * `wrap: false` leaves out X-Vault-Wrap-TTL, as for RequestOptions.
   */
  async read(path: string, query?: Record<string, string | string[]>, options: { wrap?: boolean } = {}): Promise<Secret | null> {
    return secretOrNull(await this.request('GET', path, { query, allowNotFound: true, ...options }));
  }

  /** Lists the keys under a path; returns null for 404 without data or warnings. */
  async list(path: string): Promise<Secret | null> {
    return secretOrNull(await this.request('LIST', path, { allowNotFound: true }));
  }

  /** Writes data with PUT (or `method`); returns null when the response has no body. */
  async write(path: string, data: Record<string, unknown>, method = 'PUT'): Promise<Secret | null> {
    return secretOrNull(await this.request(method, path, { body: data }));
  }

  /** Sends a JSON merge patch, as `vault kv patch` does. */
  async patch(path: string, data: Record<string, unknown>): Promise<Secret | null> {
    return secretOrNull(await this.request('PATCH', path, { body: data, contentType: 'application/merge-patch+json' }));
  }

  /**
   * Unwraps a wrapped response through sys/wrapping/unwrap, as Vault's client
   * does: with no client token, the wrapping token is sent as the client token;
   * with another client token, it goes in the body. An empty `wrappingToken`
   * unwraps the client token itself. Returns null for a 404 without data.
   */
  async unwrap(wrappingToken: string): Promise<Secret | null> {
    const options: RequestOptions = { allowNotFound: true };
    if (wrappingToken !== '' && this.config.token === '') options.token = wrappingToken;
    else if (wrappingToken !== '' && wrappingToken !== this.config.token) options.body = { token: wrappingToken };
    return secretOrNull(await this.request('PUT', 'sys/wrapping/unwrap', options));
  }

  /** Deletes a path; returns null when the response has no body. */
  async delete(path: string, query?: Record<string, string | string[]>): Promise<Secret | null> {
    return secretOrNull(await this.request('DELETE', path, { query }));
  }
}

/** Turns a response into a Secret, or null for an empty body or a 404 that carries no data or warnings. */
function secretOrNull(response: ApiResponse): Secret | null {
  if (response.body === undefined) return null;
  const secret = parseSecret(response.body);
  if (response.status === 404 && !hasContent(secret)) return null;
  return secret;
}

function hasWrapInfo(body: unknown): boolean {
  const wrapInfo = (body as { wrap_info?: unknown } | null | undefined)?.wrap_info;
  return wrapInfo !== null && typeof wrapInfo === 'object';
}

/** Parses a response body. An integer past 2^53 becomes a bigint, so output prints its exact digits. */
function parseBody(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: parseJson(text) };
  } catch {
    return { ok: false };
  }
}

function errorFromResponse(
  method: string,
  url: string,
  status: number,
  text: string,
  parsed: { ok: true; value: unknown } | { ok: false },
): ResponseError {
  const errors = parsed.ok ? (parsed.value as { errors?: unknown } | undefined)?.errors : undefined;
  if (Array.isArray(errors)) return new ResponseError(method, url, status, errors.map(String), false);
  return new ResponseError(method, url, status, [text], true);
}

interface NetworkErrorCause {
  code?: string;
  message?: string;
}

function connectionError(method: string, url: string, address: string, error: unknown): ConnectionError {
  const cause = ((error as { cause?: unknown }).cause ?? error) as NetworkErrorCause;
  const reason = cause.message ?? String(error);
  let hint = '';
  if (cause.code === 'ECONNREFUSED') {
    hint = `; check that the server is running and that -address, COFFER_ADDR or VAULT_ADDR points to it`;
  } else if (address.startsWith('https:') && /wrong version number|packet length too long|EPROTO/i.test(`${cause.code} ${reason}`)) {
    hint = `; the server may be serving plain HTTP: if so, set COFFER_ADDR=${address.replace(/^https:/, 'http:')}`;
  } else if (/certificate|self.signed|UNABLE_TO_VERIFY/i.test(`${cause.code} ${reason}`)) {
    hint = '; set COFFER_CACERT to the CA certificate that signed the server certificate';
  }
  return new ConnectionError(`${method} ${url}: ${reason}${hint}`);
}

/** Maximum number of redirects one request follows, so a redirect loop fails instead of running forever. */
const maxRedirects = 10;

/**
 * Sends a request and follows redirects, such as a standby's redirect to the
 * active node. 307 and 308 keep the method and body. After 301, 302 and 303,
 * a request other than GET becomes a GET without a body, as in Go's HTTP client.
 */
async function sendFollowingRedirects(
  first: OutgoingRequest,
  config: ClientConfig,
  deadline: AbortSignal | undefined,
): Promise<{ status: number; bytes: Buffer }> {
  let request = first;
  for (let redirects = 0; ; redirects += 1) {
    const response = await sendOnce(request, config, deadline);
    if (response.location === undefined || ![301, 302, 303, 307, 308].includes(response.status)) return response;
    if (redirects === maxRedirects) {
      throw new Error(`stopped after ${maxRedirects} redirects, the last one to ${response.location}; check the server's redirect settings`);
    }

    const next = new URL(response.location, request.url).toString();
    if (response.status === 307 || response.status === 308 || request.method === 'GET') {
      request = { ...request, url: next };
    } else {
      const getHeaders = { ...request.headers };
      delete getHeaders['Content-Type'];
      request = { method: 'GET', url: next, headers: getHeaders };
    }
  }
}

/**
 * Returns the headers with each value as its UTF-8 bytes in a latin1 string,
 * which node:http writes byte for byte, so that non-ASCII values go as
 * UTF-8, as Vault's client sends them. Without this, node:http rejects
 * characters above U+00FF and writes the others as latin1 or UTF-8
 * depending on the body. An array value is sent as one header line each.
 */
function utf8Headers(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const toBytes = (value: string): string => Buffer.from(value, 'utf8').toString('latin1');
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.map(toBytes) : toBytes(value)]));
}

/**
 * Sends one request with node:http or node:https. Node's fetch rejects the
 * "bad ports" of the Fetch standard (6000, 6665 to 6669, 10080 and others),
 * where a server may still listen, and takes no per-request CA file.
 */
function sendOnce(
  request: OutgoingRequest,
  config: ClientConfig,
  deadline: AbortSignal | undefined,
): Promise<{ status: number; bytes: Buffer; location?: string }> {
  const { method, url, headers, body } = request;
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  const tls = url.startsWith('https:')
    ? { ca: config.caCert, rejectUnauthorized: !config.skipVerify, cert: config.clientCert, key: config.clientKey, servername: config.tlsServerName }
    : {};
  // Set here, because node:http sends a DELETE body without a length, so the server cannot find its end.
  const lengthHeader: Record<string, string> = body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    // No shared agent, so no idle keep-alive connection outlives the command.
    const outgoing = send(url, { method, headers: utf8Headers({ ...headers, ...lengthHeader }), agent: false, signal: deadline, ...tls }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        resolve({
          status: incoming.statusCode ?? 0,
          bytes: Buffer.concat(chunks),
          ...(incoming.headers.location !== undefined ? { location: incoming.headers.location } : {}),
        });
      });
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    // A Buffer, because node:http writes the headers with a string body in the body's encoding.
    outgoing.end(body === undefined ? undefined : Buffer.from(body));
  });
}

/**
 * Sends one streaming GET. A 2xx body goes to `onText` as it arrives, and the
 * promise settles when it ends or `signal` aborts. Any other body is
 * collected and returned for the caller's error or redirect.
 */
function streamOnce(
  request: OutgoingRequest,
  config: ClientConfig,
  onText: (text: string) => void,
  signal: AbortSignal | undefined,
): Promise<{ status: number; text: string; location?: string }> {
  const { method, url, headers } = request;
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  const tls = url.startsWith('https:')
    ? { ca: config.caCert, rejectUnauthorized: !config.skipVerify, cert: config.clientCert, key: config.clientKey, servername: config.tlsServerName }
    : {};
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      resolve({ status: 200, text: '' });
      return;
    }
    const outgoing = send(url, { method, headers: utf8Headers(headers), agent: false, ...tls }, (incoming) => {
      const status = incoming.statusCode ?? 0;
      const location = incoming.headers.location;
      const streaming = status >= 200 && status < 300;
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => {
        if (streaming) onText(chunk);
        else text += chunk;
      });
      const done = (): void => resolve({ status, text, ...(location !== undefined ? { location } : {}) });
      incoming.on('end', done);
      incoming.on('close', done);
      incoming.on('error', (error) => (signal?.aborted === true ? done() : reject(error)));
    });
    const abort = (): void => {
      outgoing.destroy();
      resolve({ status: 200, text: '' });
    };
    signal?.addEventListener('abort', abort, { once: true });
    outgoing.on('close', () => signal?.removeEventListener('abort', abort));
    outgoing.on('error', (error) => (signal?.aborted === true ? resolve({ status: 200, text: '' }) : reject(error)));
    outgoing.end();
  });
}

/** Quotes a word for a POSIX shell when it contains characters the shell would interpret. */
function shellWord(word: string): string {
  if (/^[\w./:%@=+,-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Formats a request as a curl command in the shape Vault's CLI prints. The
 * token is never printed: the command reads it from "coffer print token".
 */
export function curlCommand(request: OutgoingRequest, config: ClientConfig): string {
  const parts = ['curl'];
  if (request.url.startsWith('https:') && config.skipVerify) parts.push('--insecure');
  if (request.method !== 'GET') parts.push('-X', request.method);
  if (request.url.startsWith('https:')) {
    if (config.caCertPath !== undefined) parts.push('--cacert', shellWord(config.caCertPath));
    if (config.caPath !== undefined) parts.push('--capath', shellWord(config.caPath));
    if (config.clientCertPath !== undefined) parts.push('--cert', shellWord(config.clientCertPath));
    if (config.clientKeyPath !== undefined) parts.push('--key', shellWord(config.clientKeyPath));
  }
  for (const [name, value] of Object.entries(request.headers)) {
    const headerValue = name === 'X-Vault-Token' ? '$(coffer print token)' : value;
    parts.push('-H', `"${name}: ${headerValue}"`);
  }
  if (request.body !== undefined) parts.push('-d', `'${request.body.replaceAll("'", `'"'"'`)}'`);
  parts.push(shellWord(request.url));
  return parts.join(' ');
}
