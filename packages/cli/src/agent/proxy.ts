// The API proxy: a listener that forwards every request to the server and
// streams the response back with its status and headers. With
// use_auto_auth_token it adds the agent's token to requests, as Vault
// Agent's api_proxy does.
import { readFile } from 'node:fs/promises';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ClientConfig } from '../client.js';
import { cacheClearPath, handleCacheClear } from './cache-clear.js';
import type { ListenerConfig } from './config.js';
import type { CacheRequest, LeaseCache } from './lease-cache.js';
import { cacheKey, canonicalNamespace, maxCachedBodyBytes, varyingHeaders } from './lease-cache.js';
import type { AgentLogger } from './log.js';

/** Headers that belong to one connection and are not forwarded (RFC 9110, section 7.6.1). */
const hopByHopHeaders = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'proxy-authenticate']);

/** The token the proxy adds, read on each request because re-authentication replaces it. */
export interface ProxyOptions {
  useAutoAuthToken: boolean | 'force';
  currentToken(): string | undefined;
  /** The response cache of the `cache` stanza, shared by all listeners; undefined forwards every request. */
  cache?: LeaseCache;
}

/** A listening proxy with the address it is bound to. */
export interface RunningProxy {
  /** Address such as 127.0.0.1:8100, with the port the system picked for port 0. */
  address: string;
  close(): Promise<void>;
}

function forwardHeaders(incoming: IncomingMessage, options: ProxyOptions): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const listed = new Set((incoming.headers.connection ?? '').split(',').map((name) => name.trim().toLowerCase()));
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (hopByHopHeaders.has(name) || listed.has(name) || name === 'host' || value === undefined) continue;
    headers[name] = value;
  }

  const token = options.currentToken();
  // The server also takes a token from `Authorization: Bearer`, but prefers X-Vault-Token, so adding
  // the agent's token to such a request would run it with the agent's token in place of its own.
  const bearer = headers.authorization;
  const hasBearer = typeof bearer === 'string' && bearer.startsWith('Bearer ') && bearer.slice(7).trim() !== '';
  const hasToken = (typeof headers['x-vault-token'] === 'string' && headers['x-vault-token'] !== '') || hasBearer;
  if (token !== undefined && (options.useAutoAuthToken === 'force' || (options.useAutoAuthToken === true && !hasToken))) {
    headers['x-vault-token'] = token;
  }
  return headers;
}

/**
 * Returns the server URL for a request target, or undefined for a target
 * that is not a path. Only the path and query of an absolute-form target
 * (`GET http://host/path`) are kept, so a client cannot send the agent's
 * token to another host. An origin-form
 * path is appended as written, so `//host/path` stays a path on the server.
 */
export function proxyTarget(requestTarget: string, serverAddress: string): URL | undefined {
  let pathAndQuery = requestTarget;
  if (!requestTarget.startsWith('/')) {
    let absolute: URL;
    try {
      absolute = new URL(requestTarget);
    } catch {
      return undefined;
    }
    if (absolute.protocol !== 'http:' && absolute.protocol !== 'https:') return undefined;
    pathAndQuery = `${absolute.pathname}${absolute.search}`;
  }
  return new URL(`${new URL(serverAddress).origin}${pathAndQuery}`);
}

/** Copies the headers of a server response that belong to the whole path, not one connection. */
function responseHeaders(response: IncomingMessage): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (!hopByHopHeaders.has(name) && value !== undefined) headers[name] = value;
  }
  return headers;
}

/** Opens a request to the server with the TLS settings of the `vault` stanza. */
function openUpstream(target: URL, method: string | undefined, headers: OutgoingHttpHeaders, client: ClientConfig, onResponse: (response: IncomingMessage) => void): ClientRequest {
  const https = target.protocol === 'https:';
  const tls = https
    ? { ca: client.caCert, rejectUnauthorized: !client.skipVerify, cert: client.clientCert, key: client.clientKey, servername: client.tlsServerName }
    : {};
  const send = https ? httpsRequest : httpRequest;
  return send(target, { method, headers, agent: false, ...tls }, onResponse);
}

function sendError(outgoing: ServerResponse, status: number, message: string): void {
  outgoing.writeHead(status, { 'content-type': 'application/json' });
  outgoing.end(JSON.stringify({ errors: [message] }));
}

/**
 * Ends the server request when the client goes away, so a stream such as
 * sys/monitor does not stay open. Sends 502 when the server cannot be reached.
 */
function watchExchange(incoming: IncomingMessage, outgoing: ServerResponse, upstream: ClientRequest, target: URL, logger: AgentLogger): void {
  let clientGone = false;
  outgoing.on('close', () => {
    if (outgoing.writableFinished) return;
    clientGone = true;
    upstream.destroy();
  });
  upstream.on('error', (error) => {
    if (clientGone) return;
    logger.error('error forwarding request', { method: incoming.method, path: target.pathname, error: error.message });
    if (outgoing.headersSent) {
      outgoing.destroy();
      return;
    }
    sendError(outgoing, 502, `error forwarding the request to the server: ${error.message}`);
  });
}

/** Forwards a request without the cache, streaming both bodies. `head` is the part of the request body already read. */
function forward(incoming: IncomingMessage, outgoing: ServerResponse, target: URL, client: ClientConfig, options: ProxyOptions, logger: AgentLogger, head?: Buffer): void {
  const upstream = openUpstream(target, incoming.method, forwardHeaders(incoming, options), client, (response) => {
    outgoing.writeHead(response.statusCode ?? 502, responseHeaders(response));
    // Sent at once, so that a client of a stream such as sys/monitor receives the response headers before its first line.
    outgoing.flushHeaders();
    response.pipe(outgoing);
    response.on('error', () => outgoing.destroy());
  });
  watchExchange(incoming, outgoing, upstream, target, logger);
  if (head !== undefined) upstream.write(head);
  incoming.pipe(upstream);
}

/** Largest request body the cache hashes; a larger request is forwarded as a stream and never cached. */
const maxHashedBodyBytes = 1024 * 1024;

/**
 * Reads the request body up to `limit` bytes; `complete` is false when more
 * remains, and the stream is left paused. Rejects when the client goes away first.
 */
function readBodyUpTo(incoming: IncomingMessage, limit: number): Promise<{ body: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const detach = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length <= limit) return;
      incoming.pause();
      detach();
      resolve({ body: Buffer.concat(chunks), complete: false });
    };
    const onEnd = (): void => {
      detach();
      resolve({ body: Buffer.concat(chunks), complete: true });
    };
    const onError = (error: Error): void => {
      detach();
      reject(error);
    };
    const onClose = (): void => onError(new Error('the client closed the connection before sending the whole request body'));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

/** Reads the request body as readBodyUpTo does, or returns undefined when the client went away first. */
async function readRequest(incoming: IncomingMessage, target: URL, logger: AgentLogger): Promise<{ body: Buffer; complete: boolean } | undefined> {
  try {
    return await readBodyUpTo(incoming, maxHashedBodyBytes);
  } catch (error) {
    logger.debug('client went away before sending the whole request', { method: incoming.method, path: target.pathname, error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

/** Returns the token the server uses for a request: X-Vault-Token first, then a bearer token. */
function tokenOf(headers: OutgoingHttpHeaders): string {
  const header = headers['x-vault-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = headers.authorization;
  return typeof authorization === 'string' && authorization.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
}

function serveCached(outgoing: ServerResponse, cached: { status: number; headers: OutgoingHttpHeaders; body: Buffer; storedAt: number }): void {
  const age = Math.floor((Date.now() - cached.storedAt) / 1000);
  // As in Vault Agent, a hit sets X-Cache: HIT, Age in seconds and the current Date.
  outgoing.writeHead(cached.status, { ...cached.headers, 'content-length': cached.body.length, date: new Date().toUTCString(), 'x-cache': 'HIT', age: String(age) });
  outgoing.end(cached.body);
}

/**
 * Forwards a request through the cache. A request identical to a cached
 * one, with the same token, gets the cached response. Any other is sent to
 * the server, and its response is streamed to the client, then passed to
 * the cache, which stores it or applies a renewal or revocation. The cache
 * renews what it stores on the same server.
 */
async function forwardCached(incoming: IncomingMessage, outgoing: ServerResponse, target: URL, client: ClientConfig, options: ProxyOptions, cache: LeaseCache, logger: AgentLogger): Promise<void> {
  const read = await readRequest(incoming, target, logger);
  if (read === undefined) return;
  const { body, complete } = read;
  if (!complete) {
    forward(incoming, outgoing, target, client, options, logger, body);
    return;
  }

  const headers = forwardHeaders(incoming, options);
  delete headers['content-length'];
  if (body.length > 0) headers['content-length'] = body.length;
  const namespace = headers['x-vault-namespace'];
  const request: CacheRequest = {
    method: incoming.method ?? 'GET',
    path: target.pathname,
    query: target.search,
    body,
    token: tokenOf(headers),
    namespace: canonicalNamespace(typeof namespace === 'string' ? namespace : undefined),
    varyingHeaders: varyingHeaders(headers),
  };
  const key = cacheKey(request);
  const claim = await cache.begin(key);
  if (!('hit' in claim) && incoming.socket.destroyed) {
    // The client went away while an identical request was in flight.
    claim.release();
    return;
  }
  if ('hit' in claim) {
    logger.debug('serving response from cache', { method: request.method, path: request.path });
    serveCached(outgoing, claim.hit);
    return;
  }

  let released = false;
  let responded = false;
  const release = (): void => {
    if (released) return;
    released = true;
    claim.release();
  };
  const upstream = openUpstream(target, request.method, headers, client, (response) => {
    responded = true;
    const status = response.statusCode ?? 502;
    const stored = responseHeaders(response);
    outgoing.writeHead(status, { ...stored, 'x-cache': 'MISS' });
    outgoing.flushHeaders();
    response.pipe(outgoing);
    response.on('error', () => outgoing.destroy());
    response.on('close', release);
    // Only a 2xx JSON response can be stored or report a renewal, and a revocation's 204 has no body. Other responses,
    // such as the endless text stream of sys/monitor, release identical requests at once.
    const contentType = response.headers['content-type'];
    if (status < 200 || status >= 300 || (contentType !== undefined && !/^application\/json\b/.test(contentType))) {
      release();
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    response.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length <= maxCachedBodyBytes) chunks.push(chunk);
    });
    response.on('end', () => {
      if (length <= maxCachedBodyBytes) cache.observe(key, request, { status, headers: stored, body: Buffer.concat(chunks), storedAt: Date.now() }, client);
      release();
    });
  });
  upstream.on('error', release);
  upstream.on('close', () => {
    if (!responded) release();
  });
  watchExchange(incoming, outgoing, upstream, target, logger);
  upstream.end(body);
}

/** Answers /agent/v1/cache-clear. */
async function serveCacheClear(incoming: IncomingMessage, outgoing: ServerResponse, target: URL, cache: LeaseCache, logger: AgentLogger): Promise<void> {
  const read = await readRequest(incoming, target, logger);
  if (read === undefined) return;
  const { body, complete } = read;
  if (!complete) {
    incoming.resume();
    sendError(outgoing, 413, `request body larger than ${maxHashedBodyBytes} bytes`);
    return;
  }
  const result = handleCacheClear(incoming.method ?? 'GET', body, cache);
  outgoing.writeHead(result.status, result.headers);
  outgoing.end(result.body);
}

/** Splits "host:port" into its parts; an IPv6 host may be written in brackets. */
function splitAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (match === null) throw new Error(`invalid listener address "${address}": expected host:port such as 127.0.0.1:8100`);
  return { host: match[1], port: Number(match[2]) };
}

/** Starts one proxy listener. */
export async function startProxy(listener: ListenerConfig, client: ClientConfig, options: ProxyOptions, logger: AgentLogger): Promise<RunningProxy> {
  const { host, port } = splitAddress(listener.address);
  const handle = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    if (listener.requireRequestHeader && incoming.headers['x-vault-request'] !== 'true') {
      // Vault Agent returns 412 here, so a browser or a forged request cannot use the agent's token.
      outgoing.writeHead(412, { 'content-type': 'application/json' });
      outgoing.end(JSON.stringify({ errors: ['missing "X-Vault-Request: true" header'] }));
      return;
    }
    const requestTarget = incoming.url ?? '/';
    const target = proxyTarget(requestTarget, client.address);
    if (target === undefined) {
      sendError(outgoing, 400, `invalid request target ${JSON.stringify(requestTarget)}: expected a path such as /v1/sys/health`);
      return;
    }
    const cache = options.cache;
    if (cache === undefined) {
      forward(incoming, outgoing, target, client, options, logger);
      return;
    }
    const served = target.pathname === cacheClearPath ? serveCacheClear(incoming, outgoing, target, cache, logger) : forwardCached(incoming, outgoing, target, client, options, cache, logger);
    served.catch((error: unknown) => {
      logger.error('error serving request', { method: incoming.method, path: target.pathname, error: error instanceof Error ? error.message : String(error) });
      if (outgoing.headersSent) outgoing.destroy();
      else sendError(outgoing, 500, 'error reading the request');
    });
  };
  let server: Server;
  if (listener.tlsDisable) {
    server = createHttpServer(handle);
  } else {
    const [cert, key] = await Promise.all([readFile(listener.tlsCertFile!), readFile(listener.tlsKeyFile!)]);
    server = createHttpsServer({ cert, key }, handle);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const address = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
