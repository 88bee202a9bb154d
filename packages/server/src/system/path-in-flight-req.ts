/**
 * sys/in-flight-req: the logical requests this node is serving now, keyed
 * by request ID, in the shape of Vault's endpoint of that name.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { CallerRegistry } from '../token/caller.js';

/** One request being served, as the HTTP layer records it. */
export interface InFlightRequest {
  /** Milliseconds since the epoch. */
  startTime: number;
  /** The connection, whose peer address is read only when the list is, to keep the request path free of that work. */
  remote: { readonly remoteAddress?: string; readonly remotePort?: number };
  /** The URL path as received, such as `/v1/secret/data/app`. */
  requestPath: string;
  requestMethod: string;
}

/** The requests in flight by request ID; the HTTP layer adds each one and removes it once the response is built. */
export class InFlightRequests {
  private readonly requests = new Map<string, InFlightRequest>();

  add(requestId: string, request: InFlightRequest): void {
    this.requests.set(requestId, request);
  }

  delete(requestId: string): void {
    this.requests.delete(requestId);
  }

  get size(): number {
    return this.requests.size;
  }

  entries(): IterableIterator<[string, InFlightRequest]> {
    return this.requests.entries();
  }
}

export function inFlightRequestPaths(inFlight: InFlightRequests, callers: CallerRegistry): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'in-flight-req',
      fields: {},
      operations: {
        async read() {
          const listed: Record<string, unknown> = {};
          for (const [requestId, request] of inFlight.entries()) {
            listed[requestId] = {
              start_time: new Date(request.startTime).toISOString(),
              client_remote_address: joinHostPort(request.remote.remoteAddress, request.remote.remotePort),
              request_path: request.requestPath,
              request_method: request.requestMethod,
              // The entity of the caller's token, once the pipeline has resolved it; Vault's client ID for tokens without an entity is not computed.
              client_id: callers.get(requestId)?.entry?.entityId ?? '',
            };
          }
          // Vault returns the map itself as the body, with no response envelope.
          return { raw: { status: 200, contentType: 'application/json', body: JSON.stringify(listed) } };
        },
      },
      helpSynopsis: 'List the requests this node is serving.',
      helpDescription:
        'Returns an object keyed by request ID with start_time, client_remote_address, request_path, request_method and client_id of each request not yet answered.',
    }),
  ];
}

/** Formats a socket's peer as Go's net.JoinHostPort does: `host:port`, with brackets around an IPv6 host. */
export function joinHostPort(host: string | undefined, port: number | undefined): string {
  if (host === undefined) return '';
  const shown = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? shown : `${shown}:${port}`;
}
