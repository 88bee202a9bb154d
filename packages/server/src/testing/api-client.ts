/**
 * Helpers for tests that talk to a real server over HTTP on loopback.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../server.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or `null` for an empty body. */
  body: any;
}

/** Sends one request; `body` is sent as JSON unless it is a string. */
export async function api(
  server: { address: string },
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['X-Vault-Token'] = options.token;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(`${server.address}/v1/${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
}

const silent = { write: () => true };

/** Starts a dev server on a free loopback port with logging discarded. */
export function startDevServer(rootTokenId = 'root-test-token'): Promise<RunningServer> {
  return startServer({ dev: true, devListenAddress: '127.0.0.1:0', devRootTokenId: rootTokenId, logDestination: silent });
}

/**
 * Starts a server whose config and data live in `directory`, which outlives
 * the server, so a test can stop it and start it again on the same storage.
 */
export async function startServerIn(directory: string, storage: string): Promise<RunningServer> {
  const configPath = join(directory, 'config.hcl');
  await writeFile(
    configPath,
    `${storage.replaceAll('$DIR', directory)}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`,
  );
  return startServer({ configPaths: [configPath], logDestination: silent });
}

/**
 * Starts an uninitialized server from an HCL config written to a temporary
 * folder. `storage` is the storage stanza body, e.g. `storage "inmem" {}`.
 */
export async function startConfiguredServer(storage = 'storage "inmem" {}'): Promise<RunningServer & { directory: string }> {
  const directory = await mkdtemp(join(tmpdir(), 'coffer-server-test-'));
  const server = await startServerIn(directory, storage);
  return {
    ...server,
    directory,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
