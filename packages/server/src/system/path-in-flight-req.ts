/**
 * sys/in-flight-req: the logical requests this node is serving now, keyed
 * by request ID, in the shape of Vault's endpoint of that name.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { CallerRegistry } from '../token/caller.js';

/**
 * One request being served: the record the HTTP layer already makes for
 * the request's time metric, so listing a request allocates nothing. Its
 * fields are formatted only when the list is read.
 */
export interface InFlightRequest {
  /** `performance.now()` when the request started. */
  readonly startedAt: number;
  /** The request as received: its method, target (`/v1/secret/data/app?x=1`) and connection. */
  readonly message: {
    readonly method?: string;
    readonly url?: string;
    readonly socket: { readonly remoteAddress?: string; readonly remotePort?: number };
  };
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
            const { message } = request;
            listed[requestId] = {
              start_time: new Date(Math.round(performance.timeOrigin + request.startedAt)).toISOString(),
              client_remote_address: joinHostPort(message.socket.remoteAddress, message.socket.remotePort),
              request_path: (message.url ?? '/').split('?', 1)[0],
              request_method: message.method ?? 'GET',
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
