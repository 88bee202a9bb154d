/**
 * A private etcd server for tests: Debian's `etcd` binary (package
 * `etcd-server`) on free loopback ports with a temporary data folder.
 * Import it as `@coffer/storage-etcd/testing`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running private etcd. */
export interface TestEtcd {
  /** Client URL, e.g. `http://127.0.0.1:41234`, or `https://` when started with TLS. */
  address: string;
  /** Its data folder, removed by `stop`. */
  dataDir: string;
  /** Stops the server with SIGTERM (SIGKILL after 5 s) and removes its data folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Files that make etcd serve TLS and require client certificates signed by `caFile`. */
export interface TestEtcdTls {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/**
 * The largest request the test server accepts: 16 MiB, above the 6 MiB
 * values of the storage conformance suite. etcd's own default is 1.5 MiB.
 */
export const TEST_MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** How long the server may take to accept connections, in milliseconds. */
const START_TIMEOUT_MS = 20_000;

/**
 * Returns why etcd cannot be started here, or `null` when the `etcd` binary
 * is on the PATH. Tests skip with this reason, or fail with it under CI.
 */
export function etcdUnavailableReason(): string | null {
  const found = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (found.error !== undefined || found.status !== 0) {
    return 'the etcd binary is not installed; install it with "apt-get install -y etcd-server etcd-client"';
  }
  return null;
}

/**
 * Starts etcd on two free loopback ports and waits until it accepts connections.
 *
 * @throws Error with etcd's last output when it exits or does not become healthy in time
 */
export async function startTestEtcd(options: { tls?: TestEtcdTls } = {}): Promise<TestEtcd> {
  const dataDir = await mkdtemp(join(tmpdir(), 'coffer-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const scheme = options.tls === undefined ? 'http' : 'https';
  const address = `${scheme}://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name=coffer-test',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${address}`,
    `--advertise-client-urls=${address}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=coffer-test=${peer}`,
    `--max-request-bytes=${TEST_MAX_REQUEST_BYTES}`,
    '--log-level=error',
    '--logger=zap',
  ];
  if (options.tls !== undefined) {
    args.push(`--cert-file=${options.tls.certFile}`, `--key-file=${options.tls.keyFile}`, `--trusted-ca-file=${options.tls.caFile}`, '--client-cert-auth');
  }

  const child = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    output = (output + chunk).slice(-4000);
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await waitHealthy(child, clientPort, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, dataDir, stop };
}

/** Polls the health endpoint; with TLS on, a TCP connect is the check, since the endpoint needs a client certificate. */
async function waitHealthy(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`etcd exited with code ${child.exitCode ?? child.signalCode} before it was ready: ${output()}`);
    }
    if (await accepts(port)) {
      // etcd listens before it has elected itself leader; give it the election it needs.
      await new Promise((resolve) => setTimeout(resolve, 300));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`etcd did not accept connections within ${START_TIMEOUT_MS} ms: ${output()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Returns a loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
