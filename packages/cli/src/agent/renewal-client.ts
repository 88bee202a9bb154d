// The renewal requests of the cache's lifetime watchers, as Vault Agent's
// cache sends them. A lease is renewed with sys/leases/renew and the token
// that requested it, a token with auth/token/renew-self and the token itself.
// Requests go straight to the server, not through the proxy.
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { timerDelay } from '@coffer/sdk';
import type { ClientConfig } from '../client.js';
import { defaultClientTimeoutSeconds } from '../client.js';
import type { RenewalResult } from './lifetime-watcher.js';

/** Lease or token to renew, with the token that renews it. */
export type RenewalTarget = { kind: 'lease'; leaseId: string; token: string; namespace: string } | { kind: 'token'; token: string; namespace: string };

/** Redirects one renewal follows, such as a standby's 307 to the active node. */
const maxRedirects = 10;

/** Sends one request and returns its status, Location header and body, or rejects when there is no response. */
function sendOnce(url: URL, headers: Record<string, string>, body: string, server: ClientConfig, signal: AbortSignal): Promise<{ status: number; location?: string; text: string }> {
  const https = url.protocol === 'https:';
  const tls = https ? { ca: server.caCert, rejectUnauthorized: !server.skipVerify, cert: server.clientCert, key: server.clientKey, servername: server.tlsServerName } : {};
  const send = https ? httpsRequest : httpRequest;
  const timeoutMs = timerDelay((server.timeoutSeconds ?? defaultClientTimeoutSeconds) * 1000);
  return new Promise((resolve, reject) => {
    const outgoing = send(url, { method: 'PUT', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: false, signal, ...tls }, (incoming: IncomingMessage) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, location: incoming.headers.location, text }));
      incoming.on('error', reject);
    });
    // A socket timeout, not a timer, so it ends with the socket when the request ends or is aborted.
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no response within ${timeoutMs / 1000} seconds`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function errorsOf(status: number, text: string): string {
  const errors = parse(text)?.errors;
  const listed = Array.isArray(errors) && errors.length > 0 ? errors.map(String).join('; ') : text.trim().slice(0, 200);
  return `code ${status}${listed === '' ? '' : `: ${listed}`}`;
}

/**
 * Renews a lease or a token on the server and returns the outcome. A 2xx
 * with a lease duration is a renewal. A 5xx, a 429 or no response is retried.
 * Any other response is a rejection.
 */
export async function sendRenewal(server: ClientConfig, target: RenewalTarget, signal: AbortSignal): Promise<RenewalResult> {
  const path = target.kind === 'lease' ? 'sys/leases/renew' : 'auth/token/renew-self';
  const body = JSON.stringify(target.kind === 'lease' ? { lease_id: target.leaseId } : {});
  const headers: Record<string, string> = { ...server.headers, 'x-vault-request': 'true', 'x-vault-token': target.token, 'content-type': 'application/json' };
  if (target.namespace !== 'root/') headers['x-vault-namespace'] = target.namespace;

  let url = new URL(`${new URL(server.address).origin}/v1/${path}`);
  let response: { status: number; location?: string; text: string };
  try {
    for (let redirects = 0; ; redirects += 1) {
      response = await sendOnce(url, headers, body, server, signal);
      if (![307, 308].includes(response.status) || response.location === undefined || redirects === maxRedirects) break;
      url = new URL(response.location, url);
    }
  } catch (error) {
    return { outcome: 'unavailable', message: error instanceof Error ? error.message : String(error) };
  }

  const { status, text } = response;
  if (status >= 500 || status === 429) return { outcome: 'unavailable', message: errorsOf(status, text) };
  if (status < 200 || status >= 300) return { outcome: 'rejected', message: errorsOf(status, text) };
  const envelope = parse(text);
  const lease = target.kind === 'lease' ? envelope : (envelope?.auth as Record<string, unknown> | null | undefined);
  const leaseSeconds = lease?.lease_duration;
  if (typeof leaseSeconds !== 'number' || !Number.isFinite(leaseSeconds) || leaseSeconds < 0) {
    return { outcome: 'rejected', message: `code ${status}: the response has no ${target.kind === 'lease' ? 'lease_duration' : 'auth.lease_duration'}` };
  }
  return { outcome: 'renewed', leaseSeconds, renewable: lease?.renewable === true };
}
