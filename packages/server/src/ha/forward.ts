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
 *
 * A forwarded request carries what the active node cannot see for itself:
 * the client's address and, for a TLS client, its certificate chain, so that
 * bound CIDRs and certificate logins work through a standby. The active node
 * trusts both only when the request also carries its forwarding key.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger, RequestConnection } from '@coffer/sdk';
import { readBody } from '../http/body.js';
import { errorAnswer, type HttpAnswer } from '../http/envelope.js';
import { LIST_STAND_IN } from '../http/list-method.js';
import { peerConnection, type PeerCertificateSource } from '../http/peer-certificates.js';
import type { HaNode, LeaderInfo } from './ha-node.js';

/** Marks a request a standby forwarded, so a node that is not active never forwards it again. */
export const FORWARDED_HEADER = 'x-coffer-forwarded-by';
/** The client's address, as the standby that forwarded the request saw it. */
export const FORWARDED_FOR_HEADER = 'x-coffer-forwarded-for';
/** The active node's forwarding key, which makes the active node trust {@link FORWARDED_FOR_HEADER} and {@link FORWARDED_CLIENT_CERTS_HEADER}. */
export const FORWARDING_KEY_HEADER = 'x-coffer-forwarding-key';
/**
 * The certificate chain of a TLS client, as the standby that forwarded the
 * request received it: base64 DER certificates, leaf first, separated by
 * commas, or `-` when the client sent none. Absent for a client without TLS.
 */
export const FORWARDED_CLIENT_CERTS_HEADER = 'x-coffer-forwarded-client-certs';

/**
 * Maximum length of the chain header a standby forwards. Node.js accepts 16 KiB
 * of request headers by default, so a longer chain could not reach the active
 * node. The standby redirects such a client to connect there itself.
 */
const MAX_CLIENT_CERTS_HEADER_LENGTH = 12 * 1024;

/** How long a forwarded request may take before the standby gives up and redirects. */
const FORWARD_TIMEOUT_MS = 90_000;

/**
 * Request headers that describe one connection, not the request, and so are
 * not forwarded (RFC 9110, section 7.6.1). `Host` is forwarded: the active
 * node's CORS check compares it with `Origin`, and the browser addressed the
 * standby, so the web UI served by a standby stays same-origin.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Response headers relayed to the client besides Content-Type. The active
 * node has the CORS configuration and the quotas, so it sets the CORS and
 * rate limit headers, and it also responds to preflights for the standby.
 */
const RELAYED_RESPONSE_HEADERS = [
  'cache-control',
  'location',
  'retry-after',
  'www-authenticate',
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
  'vary',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

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

  let leader: LeaderInfo;
  try {
    leader = await ha.leader();
  } catch (err) {
    logger.error({ err }, 'ha leader lookup failed');
    return errorAnswer(503, ['this node is a standby and cannot read the HA lock to find the active node; retry the request']);
  }
  const address = leader.address;
  if (address === '' || address === ha.address) {
    return errorAnswer(503, ['this node is a standby and no active node holds the HA lock; retry the request']);
  }

  // Only the path and query of the request target count, because an
  // absolute-form target (`http://host/path`) appended as is would change the host.
  const requested = new URL(request.url ?? '/', 'http://coffer');
  const target = address.replace(/\/+$/, '') + requested.pathname + requested.search;
  // A log stream has no end for the standby to relay, so the client connects to the active node itself.
  if (path === 'sys/monitor') return redirectTo(target);
  const noForwarding = request.headers['x-vault-no-request-forwarding'];
  if (ha.options.disableClustering === true || (noForwarding !== undefined && noForwarding !== '')) return redirectTo(target);

  const clientCerts = encodeClientCerts(peerConnection(request.socket as PeerCertificateSource));
  if (clientCerts !== undefined && clientCerts.length > MAX_CLIENT_CERTS_HEADER_LENGTH) {
    logger.warn({ length: clientCerts.length, limit: MAX_CLIENT_CERTS_HEADER_LENGTH }, 'ha forwarding skipped because the client certificate chain is too long for a header; redirecting the client');
    return redirectTo(target);
  }

  // Read the body before forwarding, so that a body over the size limit gets
  // its 413 here and does not count as a forwarding failure.
  const body = await readBody(request);
  try {
    return await forward(request, body, new URL(target), ha.address, leader.forwardingKey, clientCerts);
  } catch (err) {
    ha.forgetLeader();
    logger.warn({ err: { message: (err as Error).message }, leader: address }, 'ha forwarding failed; redirecting the client');
    return redirectTo(target);
  }
}

/**
 * Returns the client's address for policy checks such as bound CIDRs: the
 * address a standby passed on when the request carries the active node's
 * forwarding key, else the connection's peer.
 */
export function clientAddress(ha: HaNode | undefined, request: IncomingMessage): string | undefined {
  const forwardedFor = request.headers[FORWARDED_FOR_HEADER];
  const key = request.headers[FORWARDING_KEY_HEADER];
  if (ha !== undefined && typeof forwardedFor === 'string' && typeof key === 'string' && ha.isForwardingKey(key)) return forwardedFor;
  return request.socket.remoteAddress;
}

/**
 * Returns the TLS connection of the client: the certificate chain a standby
 * passed on when the request carries the active node's forwarding key, else
 * the one of the request's own connection, and `undefined` without TLS.
 */
export function clientConnection(ha: HaNode | undefined, request: IncomingMessage): RequestConnection | undefined {
  const forwarded = request.headers[FORWARDED_CLIENT_CERTS_HEADER];
  const key = request.headers[FORWARDING_KEY_HEADER];
  if (ha !== undefined && typeof forwarded === 'string' && typeof key === 'string' && ha.isForwardingKey(key)) return decodeClientCerts(forwarded);
  return peerConnection(request.socket as PeerCertificateSource);
}

/**
 * Returns the request's raw headers without the forwarding key, for audit
 * entries and the headers passed through to plugins. A client that read the key
 * could claim any client address or certificate chain at the active node,
 * so it must not reach either, even when an operator lists it there.
 */
export function headersWithoutForwardingKey(request: IncomingMessage): readonly string[] {
  const raw = request.rawHeaders;
  if (request.headers[FORWARDING_KEY_HEADER] === undefined) return raw;
  const kept: string[] = [];
  for (let index = 0; index + 1 < raw.length; index += 2) {
    if (raw[index].toLowerCase() !== FORWARDING_KEY_HEADER) kept.push(raw[index], raw[index + 1]);
  }
  return kept;
}

function encodeClientCerts(connection: RequestConnection | undefined): string | undefined {
  if (connection === undefined) return undefined;
  if (connection.peerCertificates.length === 0) return '-';
  return connection.peerCertificates.map((der) => der.toString('base64')).join(',');
}

function decodeClientCerts(header: string): RequestConnection {
  if (header === '-') return { peerCertificates: [] };
  return { peerCertificates: header.split(',').map((part) => Buffer.from(part, 'base64')) };
}

function redirectTo(target: string): HttpAnswer {
  return { status: 307, body: null, headers: { Location: target } };
}

/** Sends the request with its headers and body to `target` and converts the response for the handler to write. */
async function forward(request: IncomingMessage, body: Buffer, target: URL, self: string, forwardingKey: string, clientCerts: string | undefined): Promise<HttpAnswer> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  // Set after the client's headers, so that a client cannot supply its own.
  headers[FORWARDED_HEADER] = self || 'standby';
  delete headers[FORWARDED_FOR_HEADER];
  delete headers[FORWARDING_KEY_HEADER];
  delete headers[FORWARDED_CLIENT_CERTS_HEADER];
  if (forwardingKey !== '' && request.socket.remoteAddress !== undefined) {
    headers[FORWARDED_FOR_HEADER] = request.socket.remoteAddress;
    headers[FORWARDING_KEY_HEADER] = forwardingKey;
  }
  if (forwardingKey !== '' && clientCerts !== undefined) {
    headers[FORWARDED_CLIENT_CERTS_HEADER] = clientCerts;
    headers[FORWARDING_KEY_HEADER] = forwardingKey;
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
