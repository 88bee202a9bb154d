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

/** A listed request: its record with the links of the list it is on. */
export interface InFlightEntry extends InFlightRequest {
  readonly requestId: string;
  previous: InFlightEntry | undefined;
  next: InFlightEntry | undefined;
}

/**
 * The requests in flight, which the HTTP layer adds and removes once each
 * response is built. They form a list linked through their own records:
 * a Map keyed by request ID took about 1% of a transit request's CPU in a
 * profile, mostly in its set.
 */
export class InFlightRequests {
  private head: InFlightEntry | undefined;
  private tail: InFlightEntry | undefined;
  private count = 0;

  add(entry: InFlightEntry): void {
    entry.previous = this.tail;
    entry.next = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
    this.count += 1;
  }

  /** Removes an entry that `add` took; removing it again does nothing. */
  delete(entry: InFlightEntry): void {
    const { previous, next } = entry;
    if (previous === undefined && next === undefined && this.head !== entry) return;
    if (previous === undefined) this.head = next;
    else previous.next = next;
    if (next === undefined) this.tail = previous;
    else next.previous = previous;
    entry.previous = undefined;
    entry.next = undefined;
    this.count -= 1;
  }

  get size(): number {
    return this.count;
  }

  *entries(): IterableIterator<[string, InFlightRequest]> {
    for (let entry = this.head; entry !== undefined; entry = entry.next) yield [entry.requestId, entry];
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
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? hostPart : `${hostPart}:${port}`;
}
