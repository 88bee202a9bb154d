/**
 * Helpers for the quota tests: requests sent from a chosen loopback source
 * address, so that a test can act as several clients of one server.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface SourcedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or `null` for an empty body. */
  body: any;
}

/** Sends one request to `/v1/<path>` from the loopback address `from` (127.0.0.1 by default). */
export function sendFrom(
  server: { address: string },
  method: string,
  path: string,
  options: { from?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<SourcedResponse> {
  const url = new URL(`${server.address}/v1/${path}`);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['X-Vault-Token'] = options.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress: options.from ?? '127.0.0.1', agent: false },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text === '' ? null : JSON.parse(text) }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Sends `count` requests one after another and returns their status codes. */
export async function statuses(count: number, send: () => Promise<{ status: number }>): Promise<number[]> {
  const result: number[] = [];
  for (let index = 0; index < count; index += 1) result.push((await send()).status);
  return result;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
