// Helpers for the CLI's tests: captured streams and servers started in this
// process on a free loopback port. Only test files import this module.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { RunningServer } from '@coffer/server';
import { startServer } from '@coffer/server';
import type { CommandIO } from './io.js';
import { main } from './index.js';

/** A text sink that keeps what was written. */
export class CapturedStream {
  private chunks: string[] = [];

  constructor(readonly isTTY = false) {}

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }

  get text(): string {
    return this.chunks.join('');
  }
}

/** Input and environment of one captured CLI run. */
export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  /** Pretend stdout is a terminal. */
  stdoutIsTerminal?: boolean;
  signal?: AbortSignal;
}

/** Exit code and output of one CLI run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Builds a CommandIO over captured streams. */
export function captureIO(options: RunOptions = {}): { io: CommandIO; stdout: CapturedStream; stderr: CapturedStream } {
  const stdout = new CapturedStream(options.stdoutIsTerminal ?? false);
  const stderr = new CapturedStream();
  const io: CommandIO = {
    stdout,
    stderr,
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    env: options.env ?? {},
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  };
  return { io, stdout, stderr };
}

/** Runs `main` with captured streams. */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const { io, stdout, stderr } = captureIO(options);
  const code = await main(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

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

/** Starts a dev server on 127.0.0.1 with a free port and a temporary HOME. */
export async function startDevServer(): Promise<TestServer> {
  const home = await mkdtemp(join(tmpdir(), 'coffer-cli-home-'));
  const server = await startServer({
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

/** Makes a temporary folder and returns its path and a function that removes it. */
export async function makeTempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
