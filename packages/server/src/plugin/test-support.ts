/**
 * Helpers for tests that run real plugin processes: a temporary plugin
 * directory, launcher scripts, and checks that no process is left behind.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer, type StartOptions } from '../server.js';
import { api } from '../testing/api-client.js';

/** The compiled test plugins, run with this Node.js. */
export const TEST_PLUGINS = {
  secrets: fileURLToPath(new URL('./testdata/secrets-plugin.js', import.meta.url)),
  auth: fileURLToPath(new URL('./testdata/auth-plugin.js', import.meta.url)),
  audit: fileURLToPath(new URL('./testdata/audit-plugin.js', import.meta.url)),
  database: fileURLToPath(new URL('./testdata/database-plugin.js', import.meta.url)),
  storage: fileURLToPath(new URL('./testdata/storage-plugin.js', import.meta.url)),
  seal: fileURLToPath(new URL('./testdata/seal-plugin.js', import.meta.url)),
};

/** A start timeout short enough for tests of hung plugins. */
export const TEST_START_TIMEOUT_MS = 5000;

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** Writes an executable shell script into the plugin directory and returns its SHA-256. */
export async function writeScript(directory: string, name: string, body: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return sha256File(path);
}

/**
 * Writes a launcher that runs a compiled test plugin with this Node.js,
 * optionally touching `marker` first so a test can tell whether it ran.
 */
export async function writeNodePlugin(directory: string, name: string, plugin: keyof typeof TEST_PLUGINS, marker?: string): Promise<string> {
  const touch = marker === undefined ? '' : `: > ${shellQuote(marker)}\n`;
  return writeScript(directory, name, `${touch}exec ${shellQuote(process.execPath)} ${shellQuote(TEST_PLUGINS[plugin])} "$@"`);
}

export async function makeTemporaryDirectory(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDirectory(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
}

/**
 * Returns true while a process with `pid` runs. A zombie counts as gone: it
 * has exited and waits only for its parent, or for PID 1 after its parent
 * died, to reap it, which some container init processes do slowly.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // The state follows the command name in parentheses, which may itself contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits up to `timeoutMs` for a process to be gone; returns whether it is. */
export async function waitForExit(pid: number, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processExists(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** Reads the PID a test script wrote with `echo $$ > file`. */
export async function readPid(path: string): Promise<number> {
  return Number((await readFile(path, 'utf8')).trim());
}

export interface PluginTestServer extends RunningServer {
  token: string;
  pluginDirectory: string;
  /** Every JSON log line the server wrote, parsed. */
  logLines: Record<string, unknown>[];
}

/** Starts a dev server on a free loopback port with a fresh plugin directory. */
export async function startPluginTestServer(token = 'root-plugin-test'): Promise<PluginTestServer> {
  const pluginDirectory = await makeTemporaryDirectory('coffer-plugin-dir-');
  const logLines: Record<string, unknown>[] = [];
  const server = await startServer({
    dev: true,
    devListenAddress: '127.0.0.1:0',
    devRootTokenId: token,
    devPluginDirectory: pluginDirectory,
    pluginStartTimeoutMs: TEST_START_TIMEOUT_MS,
    logDestination: {
      write(line: string) {
        for (const text of line.split('\n')) if (text.trim() !== '') logLines.push(JSON.parse(text) as Record<string, unknown>);
        return true;
      },
    },
  });
  return {
    ...server,
    token,
    pluginDirectory,
    logLines,
    async close() {
      await server.close();
      await removeDirectory(pluginDirectory);
    },
  };
}

/** Registers a launcher of a test plugin in the catalog under `name`. */
export async function registerNodePlugin(
  server: PluginTestServer,
  type: 'secret' | 'auth' | 'audit' | 'database',
  name: string,
  plugin: keyof typeof TEST_PLUGINS,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const sha256 = await writeNodePlugin(server.pluginDirectory, name, plugin);
  const response = await api(server, 'POST', `sys/plugins/catalog/${type}/${name}`, { token: server.token, body: { sha256, command: name, ...extra } });
  if (response.status !== 204) throw new Error(`registering ${name} failed with ${response.status}: ${JSON.stringify(response.body)}`);
  return sha256;
}

export interface ConfiguredTestServer extends RunningServer {
  /** Every JSON log line the server wrote, parsed. */
  logLines: Record<string, unknown>[];
}

/**
 * Starts a server from `config` (HCL, written to `directory`) plus a
 * loopback listener on a free port, with the short test start timeout.
 * Log lines are collected, not printed.
 */
export async function startConfiguredPluginServer(
  directory: string,
  config: string,
  options: Pick<StartOptions, 'autoUnsealRetry'> = {},
): Promise<ConfiguredTestServer> {
  const configPath = join(directory, 'config.hcl');
  await writeFile(configPath, `${config}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
  const logLines: Record<string, unknown>[] = [];
  const server = await startServer({
    ...options,
    configPaths: [configPath],
    pluginStartTimeoutMs: TEST_START_TIMEOUT_MS,
    logDestination: {
      write(line: string) {
        for (const text of line.split('\n')) if (text.trim() !== '') logLines.push(JSON.parse(text) as Record<string, unknown>);
        return true;
      },
    },
  });
  return { ...server, logLines };
}

/**
 * Waits until the server has handled the exit of plugin process `pid`. The
 * kernel reports the exit first, and a request sent in between fails like
 * one in flight. Returns whether the exit was handled within `timeoutMs`.
 */
export async function waitForExitHandled(server: { logLines: Record<string, unknown>[] }, pid: number, timeoutMs = 3000): Promise<boolean> {
  const handled = (line: Record<string, unknown>) => line.pid === pid && line.msg === 'plugin process exited unexpectedly; it restarts on the next request';
  const deadline = Date.now() + timeoutMs;
  while (!server.logLines.some(handled)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Returns the PIDs of the processes the server logged as started for `plugin`, oldest first. */
export function loggedPluginPids(logLines: Record<string, unknown>[], plugin: string): number[] {
  return logLines
    .filter((line) => line.plugin === plugin && line.msg === 'plugin started')
    .map((line) => line.pid as number);
}
