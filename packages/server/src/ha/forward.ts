/**
 * Forwarding and redirection of client requests on a standby: it forwards the request over
 * HTTP(S) to the active node's `api_addr` and relays the response, or
 * redirects the client there with 307, as Vault's standbys do.
 *
 * Redirects are used when the config sets `disable_clustering`, when the
 * client sends a non-empty `X-Vault-No-Request-Forwarding` header, and as
 * the fallback when forwarding fails, so a client that follows redirects
 * still reaches the active node.
 *
 * Forwarding to an `https://` address verifies the active node's
 * certificate against Node's CA store, which `NODE_EXTRA_CA_CERTS` extends
 * for a private CA.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from '@coffer/sdk';
import { readBody } from '../http/body.js';
import { errorAnswer, type HttpAnswer } from '../http/envelope.js';
import { LIST_STAND_IN } from '../http/list-method.js';
import type { HaNode } from './ha-node.js';

/** Marks a request a standby forwarded, so a node that is not active never forwards it again. */
export const FORWARDED_HEADER = 'x-coffer-forwarded-by';

/** How long a forwarded request may take before the standby gives up and redirects. */
const FORWARD_TIMEOUT_MS = 90_000;

/** Request headers that describe one connection, not the request, and so are not forwarded (RFC 9110, section 7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

/** Response headers relayed to the client besides Content-Type. */
const RELAYED_RESPONSE_HEADERS = ['cache-control', 'location', 'retry-after', 'www-authenticate'];

/**
 * Builds the response to a request that reached a standby, by forwarding or
 * redirecting it. Returns `undefined` when the node became active while the
 * request waited, so the caller serves it.
 */
export async function answerOnStandby(ha: HaNode, request: IncomingMessage, path: string, logger: Logger): Promise<HttpAnswer | undefined> {
  await ha.settled();
  if (ha.isActive) return undefined;
  // Vault seals only an active node, so a seal sent to a standby must not reach and seal the active one.
  if (path === 'sys/seal') {
    return errorAnswer(400, ['this node is a standby, and only the active node can be sealed; restart a standby to seal it']);
  }
  if (request.headers[FORWARDED_HEADER] !== undefined) {
    return errorAnswer(503, ['this node is a standby and cannot serve a forwarded request; retry the request']);
  }

  let address: string;
  try {
    address = (await ha.leader()).address;
  } catch (err) {
    logger.error({ err }, 'ha leader lookup failed');
    return errorAnswer(503, ['this node is a standby and cannot read the HA lock to find the active node; retry the request']);
  }
  if (address === '' || address === ha.address) {
    return errorAnswer(503, ['this node is a standby and no active node holds the HA lock; retry the request']);
  }

  // Only the path and query of the request target count, because an
  // absolute-form target (`http://host/path`) appended as is would change the host.
  const requested = new URL(request.url ?? '/', 'http://coffer');
  const target = address.replace(/\/+$/, '') + requested.pathname + requested.search;
  const noForwarding = request.headers['x-vault-no-request-forwarding'];
  if (ha.options.disableClustering === true || (noForwarding !== undefined && noForwarding !== '')) return redirectTo(target);

  // Read the body before forwarding, so that a body over the size limit gets
  // its 413 here and does not count as a forwarding failure.
  const body = await readBody(request);
  try {
    return await forward(request, body, new URL(target), ha.address);
  } catch (err) {
    ha.forgetLeader();
    logger.warn({ err: { message: (err as Error).message }, leader: address }, 'ha forwarding failed; redirecting the client');
    return redirectTo(target);
  }
}

function redirectTo(target: string): HttpAnswer {
  return { status: 307, body: null, headers: { Location: target } };
}

/** Sends the request with its headers and body to `target` and converts the response for the handler to write. */
async function forward(request: IncomingMessage, body: Buffer, target: URL, self: string): Promise<HttpAnswer> {
  const headers: Record<string, string | string[]> = { [FORWARDED_HEADER]: self || 'standby' };
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers['content-length'] = String(body.length);
  // The listener turns Vault's LIST method into a stand-in; the active node's listener expects LIST again.
  const method = request.method === LIST_STAND_IN ? 'LIST' : (request.method ?? 'GET');
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;

  return new Promise((resolve, reject) => {
    const outgoing = send(target, { method, headers, timeout: FORWARD_TIMEOUT_MS }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve(answerFrom(response.statusCode ?? 502, response.headers, Buffer.concat(chunks))));
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no response from the active node within ${FORWARD_TIMEOUT_MS} ms`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function answerFrom(status: number, headers: IncomingHttpHeaders, body: Buffer): HttpAnswer {
  const relayed: Record<string, string | string[]> = {};
  for (const name of RELAYED_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) relayed[name] = value;
  }
  if (body.length === 0 && headers['content-type'] === undefined) return { status, body: null, headers: relayed };
  return { status, body: null, raw: { contentType: headers['content-type'] ?? 'application/octet-stream', body }, headers: relayed };
}
