/**
 * Clusters of Coffer server processes for the HA tests: each node is
 * `coffer server -config FILE` from the CLI package, on a free loopback
 * port with a temporary folder. Only test files import this module.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../cli/bin/coffer.js', import.meta.url));

/** How long a node may take to accept HTTP requests, in milliseconds. */
const START_TIMEOUT_MS = 20_000;

/** One server process. */
export interface ClusterNode {
  /** `http://127.0.0.1:<port>`, also its `api_addr`. */
  address: string;
  /** The `cluster_addr` it was configured with. */
  clusterAddress: string;
  process: ChildProcess;
  /** The last few KiB of its output, for failure messages. */
  output(): string;
  /** True once the process has exited. */
  exited(): boolean;
}

export interface TestCluster {
  nodes: ClusterNode[];
  /** Starts node `index`; nodes start only when asked, so the test can initialize storage first. */
  start(index: number): Promise<ClusterNode>;
  /** Kills every process still running and removes the folder. */
  close(): Promise<void>;
}

/**
 * Writes one config per node with the given storage stanza and prepares
 * `size` nodes; start each with {@link TestCluster.start}.
 */
export async function prepareCluster(size: number, storageStanza: string, extraSettings = ''): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-ha-'));
  const ports: number[] = [];
  for (let i = 0; i < size; i++) ports.push(await freePort());
  const nodes: ClusterNode[] = [];
  const children: ChildProcess[] = [];

  async function start(index: number): Promise<ClusterNode> {
    const port = ports[index];
    const address = `http://127.0.0.1:${port}`;
    const clusterAddress = `https://127.0.0.1:${port + 1}`;
    const configPath = join(dir, `node-${index}.hcl`);
    await writeFile(
      configPath,
      [
        storageStanza,
        `listener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n}`,
        `api_addr = "${address}"`,
        `cluster_addr = "${clusterAddress}"`,
        'log_level = "warn"',
        extraSettings,
      ].join('\n'),
    );
    const child = spawn(process.execPath, [CLI, 'server', '-config', configPath], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exited = false;
    child.once('exit', () => (exited = true));

    const node: ClusterNode = { address, clusterAddress, process: child, output: () => output, exited: () => exited };
    nodes[index] = node;
    await waitListening(node);
    return node;
  }

  return {
    nodes,
    start,
    async close() {
      await Promise.all(children.map(killAndWait));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitListening(node: ClusterNode): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (node.exited()) throw new Error(`coffer server exited before listening: ${node.output()}`);
    try {
      await fetch(`${node.address}/v1/sys/seal-status`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`coffer server did not listen within ${START_TIMEOUT_MS} ms: ${node.output()}`);
}

/** Runs the `coffer` CLI with `args` against `address` and returns its exit code and output. */
export function runCli(args: string[], address: string, token: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, COFFER_ADDR: address, COFFER_TOKEN: token, HOME: tmpdir() };
    execFile(process.execPath, [CLI, ...args], { env, timeout: 20_000 }, (error, stdout, stderr) => {
      let code = 0;
      if (error !== null) code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Sends SIGKILL and waits for the exit; does nothing for a process that already exited. */
export async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
