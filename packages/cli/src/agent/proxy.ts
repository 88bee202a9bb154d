// The API proxy: a listener that forwards every request to the server and
// streams the response back with its status and headers. With
// use_auto_auth_token it adds the agent's token to requests, as Vault
// Agent's api_proxy does.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ClientConfig } from '../client.js';
import type { ListenerConfig } from './config.js';
import type { AgentLogger } from './log.js';

/** Headers that belong to one connection and are not forwarded (RFC 9110, section 7.6.1). */
const hopByHopHeaders = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'proxy-authenticate']);

/** The token the proxy adds, read on each request because re-authentication replaces it. */
export interface ProxyOptions {
  useAutoAuthToken: boolean | 'force';
  currentToken(): string | undefined;
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

function forward(incoming: IncomingMessage, outgoing: ServerResponse, client: ClientConfig, options: ProxyOptions, logger: AgentLogger): void {
  const requestTarget = incoming.url ?? '/';
  const target = proxyTarget(requestTarget, client.address);
  if (target === undefined) {
    outgoing.writeHead(400, { 'content-type': 'application/json' });
    outgoing.end(JSON.stringify({ errors: [`invalid request target ${JSON.stringify(requestTarget)}: expected a path such as /v1/sys/health`] }));
    return;
  }
  const https = target.protocol === 'https:';
  const tls = https
    ? { ca: client.caCert, rejectUnauthorized: !client.skipVerify, cert: client.clientCert, key: client.clientKey, servername: client.tlsServerName }
    : {};
  const send = https ? httpsRequest : httpRequest;
  const upstream = send(target, { method: incoming.method, headers: forwardHeaders(incoming, options), agent: false, ...tls }, (response) => {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (!hopByHopHeaders.has(name) && value !== undefined) headers[name] = value;
    }
    outgoing.writeHead(response.statusCode ?? 502, headers);
    // Sent at once, so that a client of a stream such as sys/monitor receives the response headers before its first line.
    outgoing.flushHeaders();
    response.pipe(outgoing);
    response.on('error', () => outgoing.destroy());
  });
  // A client that goes away ends the server request too, so a stream such as sys/monitor does not stay open.
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
    outgoing.writeHead(502, { 'content-type': 'application/json' });
    outgoing.end(JSON.stringify({ errors: [`error forwarding the request to the server: ${error.message}`] }));
  });
  incoming.pipe(upstream);
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
    forward(incoming, outgoing, client, options, logger);
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
