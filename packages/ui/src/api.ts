/**
 * The UI's client of Coffer's HTTP API, on the same origin as the page.
 * It sends the session's token in `X-Vault-Token` and turns Vault's
 * `{"errors": [...]}` bodies into {@link ApiError}s.
 */
import { session } from './session.js';

/** The envelope of an API response, as far as the UI reads it. */
export interface ApiResponse<T = Record<string, unknown>> {
  request_id?: string;
  lease_id?: string;
  lease_duration?: number;
  renewable?: boolean;
  data: T;
  auth?: { client_token: string; policies?: string[]; lease_duration?: number; renewable?: boolean } | null;
  wrap_info?: { token: string; ttl: number; creation_time: string; creation_path: string } | null;
  warnings?: string[] | null;
}

/** An error response: its status, the server's messages and the parsed body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
    /** The parsed JSON body, or null; KV version 2 returns 404 with the metadata for a deleted version. */
    readonly body: unknown = null,
  ) {
    super(errors.length > 0 ? errors.join('; ') : `request failed with status ${status}`);
  }
}

/** Called when a request fails with 403 for the session's token and the server no longer recognizes it. */
let onSessionExpired: () => void = () => undefined;

export function setSessionExpiredHandler(handler: () => void): void {
  onSessionExpired = handler;
}

/**
 * Sends one request to `/v1/<path>` and returns the parsed body, or null
 * for a 204. `body` is sent as JSON, `token` in `X-Vault-Token` unless null.
 * @throws ApiError for any status outside 2xx.
 */
export async function request<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  token = session.token(),
  extraHeaders: Record<string, string> = {},
): Promise<ApiResponse<T> | null> {
  const headers: Record<string, string> = { ...extraHeaders, 'X-Vault-Request': 'true' };
  if (token !== null) headers['X-Vault-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`/v1/${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), credentials: 'omit', cache: 'no-store' });
  if (response.status === 204) return null;

  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const errors = isRecord(parsed) && Array.isArray(parsed.errors) ? parsed.errors.map(String) : [];
    if (response.status === 403 && token !== null && token === session.token() && !(await tokenIsValid(token))) onSessionExpired();
    throw new ApiError(response.status, errors, parsed);
  }
  return parsed as ApiResponse<T>;
}

/**
 * Returns false when the server rejects `token` itself. The server returns
 * 403 "permission denied" both for a token it does not know (expired or
 * revoked) and for a valid token without the capability, as Vault does, so
 * a failed lookup of the token tells the two apart. The UI signs in only
 * tokens that can look themselves up, so a valid session token passes.
 */
async function tokenIsValid(token: string): Promise<boolean> {
  try {
    const response = await fetch('/v1/auth/token/lookup-self', { headers: { 'X-Vault-Token': token, 'X-Vault-Request': 'true' }, credentials: 'omit', cache: 'no-store' });
    return response.status !== 403;
  } catch {
    // Without a lookup result the token may still be good, so the session stays and the first error is shown.
    return true;
  }
}

/** Reads `path`; returns null for a 404. */
export async function read<T = Record<string, unknown>>(path: string): Promise<ApiResponse<T> | null> {
  try {
    return await request<T>('GET', path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** Lists the keys under `path`; a 404 means nothing is there, as in Vault. */
export async function list(path: string): Promise<string[]> {
  const separator = path.includes('?') ? '&' : '?';
  const response = await read<{ keys?: unknown }>(`${path}${separator}list=true`);
  const keys = response?.data?.keys;
  return Array.isArray(keys) ? keys.map(String) : [];
}

/** Writes `body` to `path` with POST. */
export function write<T = Record<string, unknown>>(path: string, body: unknown): Promise<ApiResponse<T> | null> {
  return request<T>('POST', path, body);
}

/** Deletes `path`. */
export async function remove(path: string): Promise<void> {
  await request('DELETE', path);
}

/** Returns `message` followed by each warning of `response`, so a view's notice does not drop them. */
export function withWarnings(message: string, response: ApiResponse<unknown> | null): string {
  const warnings = response?.warnings ?? [];
  return [message, ...warnings.map((warning) => `Warning: ${warning}`)].join(' ');
}

/** Encodes each segment of a path for a URL, keeping the slashes. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
