// The agent's /agent/v1/cache-clear endpoint, as Vault Agent serves it with
// a `cache` stanza: POST or PUT a JSON object {"type", "value", "namespace"}
// to evict cache entries by request path prefix, lease ID, token, token
// accessor, or all of them. The endpoint takes no token, as in Vault Agent,
// so anyone who can reach the listener can clear the cache.
import type { CacheClearType, LeaseCache } from './lease-cache.js';
import { cacheClearTypes, canonicalNamespace } from './lease-cache.js';

/** Path of the endpoint on each listener. */
export const cacheClearPath = '/agent/v1/cache-clear';

/** A response of the endpoint; an empty body on success, as Vault Agent sends. */
export interface CacheClearResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Meaning of `value` for each type, for the error about a missing value. */
const valueMeaning: Record<Exclude<CacheClearType, 'all'>, string> = {
  request_path: 'a request path prefix such as /v1/database/creds/',
  lease: 'a lease ID',
  token: 'a token',
  token_accessor: 'a token accessor',
};

function failure(status: number, message: string, headers: Record<string, string> = {}): CacheClearResult {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ errors: [message] }) };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

/** Parses the request body, or returns the error message that names the bad field. */
function parseInput(body: Buffer): { type: CacheClearType; value: string; namespace: string } | string {
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    return 'invalid request body: expected a JSON object such as {"type": "all"}';
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'invalid request body: expected a JSON object such as {"type": "all"}';
  const { type, value, namespace } = input as Record<string, unknown>;

  const choices = cacheClearTypes.join(', ');
  if (type === undefined || type === '') return `missing "type": use one of ${choices}`;
  if (typeof type !== 'string') return `invalid "type": expected a string, got ${describe(type)}`;
  if (!(cacheClearTypes as readonly string[]).includes(type)) return `invalid "type" ${JSON.stringify(type)}: use one of ${choices}`;
  const clearType = type as CacheClearType;

  if (value !== undefined && typeof value !== 'string') return `invalid "value": expected a string, got ${describe(value)}`;
  if (clearType !== 'all' && (value === undefined || value === '')) return `missing "value": type "${clearType}" needs ${valueMeaning[clearType]}`;
  if (namespace !== undefined && typeof namespace !== 'string') return `invalid "namespace": expected a string, got ${describe(namespace)}`;

  return { type: clearType, value: value ?? '', namespace: canonicalNamespace(namespace) };
}

/** Clears the entries a cache-clear request names. Bad input gets 400 and clears nothing. */
export function handleCacheClear(method: string, body: Buffer, cache: LeaseCache): CacheClearResult {
  if (method !== 'POST' && method !== 'PUT') return failure(405, `unsupported method ${method} for ${cacheClearPath}: use POST or PUT`, { allow: 'POST, PUT' });
  const input = parseInput(body);
  if (typeof input === 'string') return failure(400, input);
  cache.clear(input.type, input.value, input.namespace);
  return { status: 200, headers: {}, body: '' };
}
