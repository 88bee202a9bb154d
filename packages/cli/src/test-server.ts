// Servers for the CLI's end-to-end tests, started in this process on a free
// loopback port with a temporary HOME. Only test files import this module.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '@coffer/server';
import { startServer } from '@coffer/server';

/** Discards server log lines so they do not mix with test output. */
const silentLog = { write: (): boolean => true };

/** A server under test with an environment that points the CLI at it. */
export interface TestServer {
  server: RunningServer;
  address: string;
  /** A temporary folder used as HOME, so the token file never touches the real one. */
  home: string;
  /** COFFER_ADDR, COFFER_TOKEN (the dev root token, when there is one) and HOME for the CLI. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Root token of the dev servers that the tests start. */
export const testRootToken = 'test-root-token';

/** Options of a dev server under test. */
export interface DevServerOptions {
  /** Folder the server registers and runs external plugins from; the caller creates and removes it. */
  pluginDirectory?: string;
}

/** Starts a dev server on 127.0.0.1 with a free port and a temporary HOME. */
export async function startDevServer(options: DevServerOptions = {}): Promise<TestServer> {
  const home = await mkdtemp(join(tmpdir(), 'coffer-cli-home-'));
  const server = await startServer({
    ...(options.pluginDirectory !== undefined ? { devPluginDirectory: options.pluginDirectory } : {}),
    dev: true,
    devRootTokenId: testRootToken,
    devListenAddress: '127.0.0.1:0',
    logLevel: 'error',
    logDestination: silentLog,
  });
  return {
    server,
    address: server.address,
    home,
    env: { COFFER_ADDR: server.address, COFFER_TOKEN: testRootToken, HOME: home },
    async close() {
      await server.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Starts an uninitialized server with in-memory storage from a config file, for the operator commands. */
export async function startConfiguredServer(): Promise<TestServer> {
  const home = await mkdtemp(join(tmpdir(), 'coffer-cli-home-'));
  const configPath = join(home, 'server.hcl');
  await writeFile(
    configPath,
    ['storage "inmem" {}', 'listener "tcp" {', '  address = "127.0.0.1:0"', '  tls_disable = true', '}', ''].join('\n'),
  );
  const server = await startServer({ configPaths: [configPath], logLevel: 'error', logDestination: silentLog });
  return {
    server,
    address: server.address,
    home,
    env: { COFFER_ADDR: server.address, HOME: home },
    async close() {
      await server.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
