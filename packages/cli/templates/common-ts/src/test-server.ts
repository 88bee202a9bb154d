/**
 * Starts a real Coffer dev server for the acceptance test, with this
 * plugin in its plugin directory and registered by SHA-256, as an operator
 * would install it.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '@coffer/server';

/** Status and parsed JSON body of one response. */
export interface HttpResult {
  status: number;
  body: any;
}

/** A running server with the plugin registered, and a client for it. */
export interface TestServer {
  server: RunningServer;
  /** SHA-256 of the launcher the catalog pinned. */
  sha256: string;
  /** Server log lines, to show when an assertion fails. */
  logLines: string[];
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<HttpResult>;
  close(): Promise<void>;
}

const ROOT_TOKEN = 'root-acceptance';

/**
 * Writes a launcher for `dist/index.js` into a fresh plugin directory,
 * starts a dev server on a free loopback port and registers the launcher
 * under `catalogType` ("secret", "auth" or "audit") and `name`.
 */
export async function startTestServer(catalogType: string, name: string): Promise<TestServer> {
  const pluginDirectory = await mkdtemp(join(tmpdir(), `${name}-plugins-`));
  const entry = fileURLToPath(new URL('./index.js', import.meta.url));

  // Coffer runs catalog commands with an empty environment, so the launcher names node by its absolute path.
  const launcher = join(pluginDirectory, name);
  await writeFile(launcher, `#!/bin/sh\nexec '${process.execPath}' '${entry}'\n`);
  await chmod(launcher, 0o755);
  const sha256 = createHash('sha256').update(await readFile(launcher)).digest('hex');

  const logLines: string[] = [];
  const server = await startServer({
    dev: true,
    devListenAddress: '127.0.0.1:0',
    devRootTokenId: ROOT_TOKEN,
    devPluginDirectory: pluginDirectory,
    pluginStartTimeoutMs: 20_000,
    logDestination: { write: (line: string) => logLines.push(line) },
  });

  const call = async (method: string, path: string, body?: unknown, token: string | null = ROOT_TOKEN): Promise<HttpResult> => {
    const headers: Record<string, string> = {};
    if (token !== null) headers['X-Vault-Token'] = token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${server.address}/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  };

  const registered = await call('PUT', `sys/plugins/catalog/${catalogType}/${name}`, { sha256, command: name });
  if (registered.status !== 204) throw new Error(`registering the plugin returned ${registered.status}: ${JSON.stringify(registered.body)}`);

  return {
    server,
    sha256,
    logLines,
    call,
    async close() {
      await server.close();
      await rm(pluginDirectory, { recursive: true, force: true });
    },
  };
}
