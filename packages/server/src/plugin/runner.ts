/**
 * Starting one plugin process: verify and copy its binary, spawn it with a
 * clean environment, and read its handshake line. A launch that fails for
 * any reason kills the process group, so no process is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  BACKEND_PROTOCOL_VERSION,
  generateLaunchCertificate,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  parseHandshake,
  toPem,
  type Handshake,
  type LaunchCertificate,
} from '@coffer/sdk';
import { ChecksumMismatchError, copyVerifiedBinary, PluginCommandError, resolvePluginCommand } from './binary.js';
import type { CatalogEntry } from './catalog.js';

/**
 * The Vault version Coffer reports to plugins in VAULT_VERSION. Plugins built
 * with older releases of Vault's SDK read it to choose gRPC, which they do
 * only for 0.9.4 or later.
 * NOTE: this is the release whose plugin API Coffer follows, chosen by hand;
 * no test runs a plugin built with Vault's SDK.
 */
export const REPORTED_VAULT_VERSION = '1.15.0';

/**
 * Why a launch failed: the catalog command is invalid, the binary's hash did
 * not match (in both cases nothing was executed), or the process did not
 * start and complete the handshake.
 */
export type LaunchFailure = 'command' | 'checksum' | 'start';

/** A launch that failed; the message names the plugin and what went wrong. */
export class PluginLaunchError extends Error {
  constructor(
    message: string,
    readonly failure: LaunchFailure = 'start',
  ) {
    super(message);
    this.name = 'PluginLaunchError';
  }
}

/** The fields of a catalog entry that a launch reads; a seal or storage stanza that names a plugin supplies them too. */
export type LaunchEntry = Pick<CatalogEntry, 'name' | 'command' | 'args' | 'env' | 'sha256'>;

export interface LaunchOptions {
  entry: LaunchEntry;
  pluginDirectory: string;
  /** How long the plugin may take to print its handshake line, in milliseconds. */
  startTimeoutMs: number;
  /** Receives each line the plugin writes: stderr from the start, stdout after the handshake line. */
  onOutput(stream: 'stdout' | 'stderr', line: string): void;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running plugin process that has printed a valid handshake line. */
export interface LaunchedPlugin {
  pid: number;
  handshake: Handshake;
  /** The host's certificate for this launch, which the plugin trusts. */
  hostCertificate: LaunchCertificate;
  /** The plugin's certificate from the handshake line, as PEM. */
  pluginCertificatePem: string;
  /** A private folder (mode 0700) for the binary copy and the sockets of this launch. */
  directory: string;
  exited: Promise<ExitStatus>;
  hasExited(): boolean;
  /** Waits up to `graceMs` for the process to exit, then kills its process group, and removes the folder. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Launches the plugin of a catalog entry.
 * @throws PluginLaunchError naming the plugin: the command is invalid, the
 *   hash does not match (nothing is executed), the process cannot start,
 *   exits or hangs before the handshake, or prints an invalid handshake.
 */
export async function launchPlugin(options: LaunchOptions): Promise<LaunchedPlugin> {
  const { entry } = options;
  const label = `plugin "${entry.name}"`;
  const directory = await mkdtemp(join(tmpdir(), 'coffer-plugin-'));
  let child: ChildProcess | undefined;
  try {
    const binary = await verifiedCopy(options, directory, label);
    const hostCertificate = await generateLaunchCertificate();
    child = spawn(binary, entry.args, {
      cwd: options.pluginDirectory,
      env: pluginEnvironment(entry, hostCertificate, directory),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that stopping it also stops any child it forked.
      detached: true,
    });
    // Start-up errors are reported by readHandshake; a later one, such as a
    // failed kill, must not crash the server for want of a listener.
    child.on('error', () => {});
    const exit = watchExit(child);
    const handshake = await readHandshake(child, exit, options, label);
    if (handshake.network !== 'unix') {
      throw new PluginLaunchError(`${label} listens on ${handshake.network} address "${handshake.address}"; Coffer connects to plugins over Unix sockets only`);
    }
    if (handshake.serverCertificate === undefined) {
      throw new PluginLaunchError(`${label} printed no TLS certificate in its handshake line; Coffer requires automatic mutual TLS (PLUGIN_CLIENT_CERT)`);
    }
    return launched(child, exit, handshake, hostCertificate, directory);
  } catch (err) {
    if (child !== undefined) await killGroup(child);
    await rm(directory, { recursive: true, force: true });
    if (err instanceof PluginLaunchError) throw err;
    throw new PluginLaunchError(`${label} could not be started: ${(err as Error).message}`);
  }
}

async function verifiedCopy(options: LaunchOptions, directory: string, label: string): Promise<string> {
  const { entry } = options;
  try {
    const source = await resolvePluginCommand(options.pluginDirectory, entry.command);
    return await copyVerifiedBinary(source, entry.sha256, directory);
  } catch (err) {
    if (err instanceof ChecksumMismatchError) {
      throw new PluginLaunchError(
        `${label}: ${err.message}, so it was not run; if "${entry.command}" changed on purpose, register it again with its new sha256`,
        'checksum',
      );
    }
    if (err instanceof PluginCommandError) throw new PluginLaunchError(`${label}: ${err.message}`, 'command');
    throw err;
  }
}

/**
 * Builds the plugin's environment from the catalog entry's `env` and the
 * protocol's variables, which win over an `env` entry of the same name.
 * Nothing comes from the server's own environment, because it may hold
 * tokens or cloud credentials.
 */
function pluginEnvironment(entry: LaunchEntry, certificate: LaunchCertificate, socketDirectory: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const assignment of entry.env) {
    const separator = assignment.indexOf('=');
    env[assignment.slice(0, separator)] = assignment.slice(separator + 1);
  }
  return {
    ...env,
    [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
    PLUGIN_PROTOCOL_VERSIONS: String(BACKEND_PROTOCOL_VERSION),
    PLUGIN_CLIENT_CERT: certificate.certificatePem,
    PLUGIN_UNIX_SOCKET_DIR: socketDirectory,
    VAULT_PLUGIN_AUTOMTLS_ENABLED: 'true',
    VAULT_VERSION: REPORTED_VAULT_VERSION,
  };
}

interface ExitWatch {
  exited: Promise<ExitStatus>;
  status(): ExitStatus | undefined;
}

function watchExit(child: ChildProcess): ExitWatch {
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      // Children the plugin forked stay in its process group; stop them too.
      signalGroup(child, 'SIGKILL');
      resolve(status);
    });
    child.once('error', () => {
      if (child.pid === undefined) {
        status = { code: null, signal: null };
        resolve(status);
      }
    });
  });
  return { exited, status: () => status };
}

function readHandshake(child: ChildProcess, exit: ExitWatch, options: LaunchOptions, label: string): Promise<Handshake> {
  const stderr = createInterface({ input: child.stderr! });
  stderr.on('line', (line) => options.onOutput('stderr', line));
  const stdout = createInterface({ input: child.stdout! });

  return new Promise<Handshake>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new PluginLaunchError(`${label} did not print its handshake line within ${options.startTimeoutMs} ms; it was killed`)));
    }, options.startTimeoutMs);

    child.once('error', (err) => settle(() => reject(new PluginLaunchError(`${label} could not be started: ${err.message}`))));
    void exit.exited.then((status) => {
      settle(() => reject(new PluginLaunchError(`${label} exited (${describeExit(status)}) before printing its handshake line; see its output in the server log`)));
    });
    stdout.once('line', (line) => {
      settle(() => {
        try {
          resolve(parseHandshake(line, BACKEND_PROTOCOL_VERSION));
        } catch (err) {
          reject(new PluginLaunchError(`${label} printed an invalid handshake line: ${(err as Error).message}`));
          return;
        }
        stdout.on('line', (next) => options.onOutput('stdout', next));
      });
    });
  });
}

function launched(child: ChildProcess, exit: ExitWatch, handshake: Handshake, hostCertificate: LaunchCertificate, directory: string): LaunchedPlugin {
  return {
    pid: child.pid!,
    handshake,
    hostCertificate,
    pluginCertificatePem: toPem('CERTIFICATE', handshake.serverCertificate!),
    directory,
    exited: exit.exited,
    hasExited: () => exit.status() !== undefined,
    async stop(graceMs) {
      if (exit.status() === undefined) {
        const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
        if ((await Promise.race([exit.exited, timer])) === 'timeout') await killGroup(child);
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Describes an exit status for messages, e.g. "exit code 3" or "signal SIGKILL". */
export function describeExit(status: ExitStatus): string {
  if (status.signal !== null) return `signal ${status.signal}`;
  if (status.code !== null) return `exit code ${status.code}`;
  return 'it could not be started';
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the whole group is gone already.
  }
}

/** Kills the process group and waits for the plugin process to exit. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const exited = child.exitCode !== null || child.signalCode !== null;
  signalGroup(child, 'SIGKILL');
  if (!exited) await new Promise<void>((resolve) => child.once('exit', () => resolve()));
}
