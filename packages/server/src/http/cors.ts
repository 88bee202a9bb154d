/**
 * Cross-origin requests, configured at `sys/config/cors` as in Vault. Off
 * by default: a browser page on another origin then gets no CORS headers,
 * so it cannot read responses. When on, a request with an `Origin` header
 * from an allowed origin gets `Access-Control-Allow-Origin`, a preflight
 * `OPTIONS` gets the allowed methods and headers, and a request from any
 * other origin gets 403 before it reaches the API, as in Vault. Requests
 * from the server's own origin, such as the web UI's, pass unchanged.
 *
 * The configuration is stored through the barrier at Vault's key, loaded at
 * unseal and dropped at seal.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, CofferError, type Storage } from '@coffer/sdk';

/** Storage key of the configuration below the barrier, the key Vault uses. */
export const CORS_CONFIG_KEY = 'core/cors';

/** Headers a cross-origin request may always carry, Vault's list. `allowed_headers` adds to it. */
export const STANDARD_ALLOWED_HEADERS: readonly string[] = [
  'Content-Type',
  'X-Requested-With',
  'X-Vault-AWS-IAM-Server-ID',
  'X-Vault-MFA',
  'X-Vault-No-Request-Forwarding',
  'X-Vault-Wrap-Format',
  'X-Vault-Wrap-TTL',
  'X-Vault-Policy-Override',
  'Authorization',
  'X-Vault-Token',
];

/** Methods a preflight may ask for, Vault's list. */
const ALLOWED_METHODS = ['DELETE', 'GET', 'OPTIONS', 'POST', 'PUT', 'LIST'];

/** Seconds a browser may cache a preflight response. */
const PREFLIGHT_MAX_AGE = '300';

/** The configuration as `sys/config/cors` reads it. */
export interface CorsConfig {
  enabled: boolean;
  allowedOrigins: string[];
  allowedHeaders: string[];
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export class CorsSettings {
  private current: CorsConfig = disabled();
  /** Changes run one at a time, in call order, so none is lost to a concurrent one. */
  private changes: Promise<unknown> = Promise.resolve();

  constructor(private readonly storage: Storage) {}

  /** Returns the configuration in force. */
  get config(): CorsConfig {
    return this.current;
  }

  /**
   * Loads the configuration at unseal; with none stored, CORS is off.
   * @throws CofferError (500) when the stored configuration is malformed.
   */
  async load(): Promise<void> {
    const stored = await this.storage.get(CORS_CONFIG_KEY);
    this.current = stored === null ? disabled() : parseStored(stored.value.toString('utf8'));
  }

  /** Drops the configuration at seal. */
  clear(): void {
    this.current = disabled();
  }

  /**
   * Turns CORS on for `origins` with `headers` added to the standard list.
   * It is stored before it applies, so a failed write changes nothing.
   */
  enable(origins: string[], headers: string[]): Promise<void> {
    const allowedHeaders = [...STANDARD_ALLOWED_HEADERS];
    for (const header of headers) {
      if (!allowedHeaders.some((known) => known.toLowerCase() === header.toLowerCase())) allowedHeaders.push(header);
    }
    return this.apply({ enabled: true, allowedOrigins: origins, allowedHeaders });
  }

  /** Turns CORS off and deletes the stored configuration. */
  disable(): Promise<void> {
    return this.apply(disabled());
  }

  private apply(next: CorsConfig): Promise<void> {
    const change = this.changes.then(async () => {
      if (next.enabled) await this.storage.put({ key: CORS_CONFIG_KEY, value: Buffer.from(JSON.stringify(toStored(next))) });
      else await this.storage.delete(CORS_CONFIG_KEY);
      this.current = next;
    });
    this.changes = change.catch(() => undefined);
    return change;
  }

  /** True when `origin` may make cross-origin requests. */
  allows(origin: string): boolean {
    const origins = this.current.allowedOrigins;
    return origins.length === 1 && origins[0] === '*' ? true : origins.includes(origin);
  }

  /**
   * Wraps the API's request listener with the CORS checks. With CORS off,
   * or a request without `Origin` (the CLI, SDKs), the request passes
   * through unchanged.
   */
  wrap(api: RequestListener): RequestListener {
    return (request, response) => {
      const origin = request.headers.origin;
      // An empty Origin counts as none, as in Vault.
      if (!this.current.enabled || origin === undefined || origin === '' || isSameOrigin(request, origin)) {
        api(request, response);
        return;
      }
      if (!this.allows(origin)) {
        sendJson(response, 403, { errors: ['origin not allowed'] });
        return;
      }
      const preflight = request.method === 'OPTIONS';
      const requested = request.headers['access-control-request-method'];
      if (preflight && (typeof requested !== 'string' || !ALLOWED_METHODS.includes(requested))) {
        sendJson(response, 405, { errors: [] });
        return;
      }
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Vary', 'Origin');
      if (!preflight) {
        api(request, response);
        return;
      }
      response.writeHead(204, {
        'Access-Control-Allow-Methods': ALLOWED_METHODS.join(','),
        'Access-Control-Allow-Headers': this.current.allowedHeaders.join(','),
        'Access-Control-Max-Age': PREFLIGHT_MAX_AGE,
      });
      response.end();
    };
  }
}

/**
 * True when `origin` names the host the request was sent to, as for the web
 * UI at /ui, whose browser sends `Origin` on its own writes. Those are not
 * cross-origin. The scheme is not compared, because a proxy that ends TLS
 * forwards the browser's `https` origin over plain HTTP. A browser sets
 * `Host` itself, so a page on another host cannot pass this check.
 */
function isSameOrigin(request: IncomingMessage, origin: string): boolean {
  const host = request.headers.host;
  const separator = origin.indexOf('://');
  if (host === undefined || separator < 0) return false;
  return origin.slice(separator + 3).toLowerCase() === host.toLowerCase();
}

function disabled(): CorsConfig {
  return { enabled: false, allowedOrigins: [], allowedHeaders: [] };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

/** The stored form, with Vault's field names. */
interface StoredCors {
  enabled: boolean;
  allowed_origins: string[];
  allowed_headers: string[];
}

function toStored(config: CorsConfig): StoredCors {
  return { enabled: config.enabled, allowed_origins: config.allowedOrigins, allowed_headers: config.allowedHeaders };
}

function parseStored(text: string): CorsConfig {
  let parsed: Partial<StoredCors>;
  try {
    parsed = JSON.parse(text) as Partial<StoredCors>;
  } catch {
    throw new CofferError('COFFER_ERR_CORS_CONFIG', 500, `stored CORS configuration at "${CORS_CONFIG_KEY}" is not JSON`);
  }
  const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
  if (typeof parsed.enabled !== 'boolean' || !strings(parsed.allowed_origins) || !strings(parsed.allowed_headers)) {
    throw new CofferError('COFFER_ERR_CORS_CONFIG', 500, `stored CORS configuration at "${CORS_CONFIG_KEY}" is malformed`);
  }
  return { enabled: parsed.enabled, allowedOrigins: parsed.allowed_origins, allowedHeaders: parsed.allowed_headers };
}

/**
 * Reads `allowed_origins`: "*", a comma-separated string or an array of
 * strings, as Vault takes it.
 * @throws CofferError (400) naming the field and the problem.
 */
export function parseOrigins(value: unknown): string[] {
  const origins = stringList(value, 'allowed_origins');
  if (origins.length === 0) throw badRequest('missing field "allowed_origins": give "*" or the origins that may make cross-origin requests, such as "https://app.example.com"');
  if (origins.length > 1 && origins.includes('*')) {
    throw badRequest('invalid field "allowed_origins": to allow all origins, "*" must be its only value');
  }
  for (const origin of origins) {
    if (origin !== '*' && !/^[a-z][a-z0-9+.-]*:\/\/[^/\s?#]+$/i.test(origin)) {
      throw badRequest(`invalid field "allowed_origins": ${JSON.stringify(origin)} is not an origin, which is a scheme and host with no path, such as "https://app.example.com"`);
    }
  }
  return origins;
}

/**
 * Reads `allowed_headers`: a comma-separated string or an array of header names.
 * @throws CofferError (400) naming the field and the problem.
 */
export function parseHeaders(value: unknown): string[] {
  const headers = stringList(value, 'allowed_headers');
  for (const header of headers) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(header)) throw badRequest(`invalid field "allowed_headers": ${JSON.stringify(header)} is not an HTTP header name`);
  }
  return headers;
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
    throw badRequest(`invalid field "${field}": expected a comma-separated string or an array of strings`);
  }
  return items.map((item) => item.trim()).filter((item) => item !== '');
}
