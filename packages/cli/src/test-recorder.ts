// A loopback HTTP server for the CLI's unit tests: it records each request
// and sends the response a test chooses, so a test can check the exact
// request a command builds and how it prints a given response. Only test
// files import this module.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeTempDir } from './test-io.js';

/** One request the recorder received. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, such as "/v1/auth/token/create". */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when the body was empty. */
  body: unknown;
}

/** Status and JSON body of a recorded request's response; an absent body sends 204 with none. */
export interface CannedResponse {
  status?: number;
  body?: unknown;
}

/** Chooses the response to a request. */
export type Responder = (request: RecordedRequest) => CannedResponse;

/** A running recorder with the environment that points the CLI at it. */
export interface Recorder {
  address: string;
  requests: RecordedRequest[];
  /** COFFER_ADDR, COFFER_TOKEN and a temporary HOME. */
  env: Record<string, string>;
  /** Replaces the responder for the next requests. */
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

/** Token the recorder's environment sets, so tests can check the X-Vault-Token header. */
export const recorderToken = 'recorder-client-token';

/** Sends 200 with an empty data object, the responder a recorder starts with. */
export const emptyData: Responder = () => ({ status: 200, body: envelope({ data: {} }) });

/** Builds a response envelope with Vault's zero values, overridden by `fields`. */
export function envelope(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    request_id: 'req-1',
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: null,
    warnings: null,
    auth: null,
    ...fields,
  };
}

/** Builds a wrapped response, as the server sends it when X-Vault-Wrap-TTL is set. */
export function wrappedEnvelope(creationPath: string): Record<string, unknown> {
  return envelope({
    wrap_info: {
      token: 'wrapping-token-1',
      accessor: 'wrapping-accessor-1',
      ttl: 300,
      creation_time: '2024-05-01T10:00:00Z',
      creation_path: creationPath,
    },
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Starts a recorder on 127.0.0.1 with a free port. */
export async function startRecorder(responder: Responder = emptyData): Promise<Recorder> {
  const home = await makeTempDir('coffer-cli-recorder-home-');
  const requests: RecordedRequest[] = [];
  let respond = responder;

  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
      const request: RecordedRequest = {
        method: incoming.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: incoming.headers,
        body: parseJson(Buffer.concat(chunks).toString('utf8')),
      };
      requests.push(request);

      const { status, body } = respond(request);
      if (body === undefined) {
        outgoing.writeHead(status ?? 204);
        outgoing.end();
        return;
      }
      outgoing.writeHead(status ?? 200, { 'Content-Type': 'application/json' });
      outgoing.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    address,
    requests,
    env: { COFFER_ADDR: address, COFFER_TOKEN: recorderToken, HOME: home.path },
    respondWith(next: Responder) {
      respond = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await home.remove();
    },
  };
}
