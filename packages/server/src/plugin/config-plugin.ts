/**
 * Seal and storage plugins named in the server configuration. The server
 * needs its seal and its storage before it can unseal, and the plugin
 * catalog is stored behind the barrier, so these two kinds are pinned by
 * their stanza instead of the catalog:
 *
 * ```hcl
 * plugin_directory = "/etc/coffer/plugins"
 * storage "acme-store" {
 *   plugin_sha256 = "<hex SHA-256 of the binary>"
 *   path          = "/var/lib/coffer/acme"
 * }
 * ```
 *
 * A stanza whose label is not a built-in type and that sets `plugin_sha256`
 * runs the executable `plugin_command` (default: the label) from the plugin
 * directory. Every setting but the `plugin_*` ones goes to the plugin's
 * Create call. One process serves the stanza. When it exits on its own, the
 * next call starts it again and calls Create before it proceeds, under the
 * restart limit that every plugin process shares.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { callUnary, GRPC_OPTIONS, type Logger } from '@coffer/sdk';
import { resolvePluginCommand } from './binary.js';
import { PluginConnection } from './connection.js';
import { PluginOutputLog } from './output-log.js';
import { unavailable } from './plugin-process.js';
import { MAX_RESTARTS, RESTART_WINDOW_MS, RestartLimit } from './restart-limit.js';
import { describeExit, launchPlugin, type ExitStatus, type LaunchedPlugin } from './runner.js';

/** The settings the host reads from a plugin stanza itself; none of them reaches the plugin. */
export const PLUGIN_STANZA_SETTINGS = {
  sha256: 'plugin_sha256',
  command: 'plugin_command',
  args: 'plugin_args',
} as const;

/** The kinds of plugin a configuration stanza can name. */
export type ConfigPluginKind = 'seal' | 'storage';

/** Server-wide options of configured plugins. */
export interface ConfigPluginOptions {
  /** The config's `plugin_directory`, resolved; without it no configured plugin can run. */
  pluginDirectory?: string;
  /** How long the plugin may take from spawn to a successful Create, in milliseconds. */
  startTimeoutMs: number;
}

/** A seal or storage stanza that names an external plugin, split into the host's part and the plugin's. */
export interface PluginStanza {
  kind: ConfigPluginKind;
  /** The stanza's label, e.g. `acme-store`. */
  type: string;
  command: string;
  args: string[];
  /** Lowercase hex SHA-256 of the executable. */
  sha256: string;
  /** The settings passed to the plugin's Create call. */
  settings: Record<string, string>;
}

/** How long the plugin's Close may take, in milliseconds. */
const CLOSE_CALL_MS = 5000;
/** How long a stopped plugin may take to exit before its process group is killed, in milliseconds. */
const STOP_GRACE_MS = 2000;
/** How long a failed call waits to learn whether the process exited, in milliseconds. */
const EXIT_PROBE_MS = 300;

/**
 * Makes a client of one of the plugin's services on the connection's
 * channel, which is already secured with the launch's mutual TLS. The
 * credentials argument is unused when a channel is given.
 */
export function serviceClient(connection: PluginConnection, service: grpc.ServiceClientConstructor): grpc.Client {
  return new service('plugin', grpc.credentials.createInsecure(), { ...GRPC_OPTIONS, channelOverride: connection.backend.getChannel() });
}

/** Returns true when a stanza of a type that is not built in names an external plugin. */
export function namesExternalPlugin(settings: Record<string, string>): boolean {
  return Object.values(PLUGIN_STANZA_SETTINGS).some((name) => name in settings);
}

/**
 * Splits a stanza's settings into the plugin's launch settings and the
 * settings for its Create call.
 * @throws Error naming the stanza and the setting that is missing or invalid.
 */
export function parsePluginStanza(kind: ConfigPluginKind, type: string, settings: Record<string, string>): PluginStanza {
  const label = `${kind} "${type}"`;
  const { plugin_sha256: sha256, plugin_command: command, plugin_args: args, ...rest } = settings;
  if (sha256 === undefined || sha256 === '') {
    throw new Error(`${label}: missing setting "plugin_sha256": an external ${kind} plugin must be pinned by the SHA-256 of its binary`);
  }
  if (!/^[0-9a-fA-F]{64}$/.test(sha256)) {
    throw new Error(`${label}: invalid "plugin_sha256" "${sha256}": expected the 64 hexadecimal digits of the binary's SHA-256`);
  }
  return { kind, type, command: command ?? type, args: parseArgs(label, args), sha256: sha256.toLowerCase(), settings: rest };
}

/**
 * Parses `plugin_args`: a JSON list of strings (an HCL list in a storage
 * stanza arrives as one), or else words separated by whitespace.
 */
function parseArgs(label: string, text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  if (!text.trimStart().startsWith('[')) return text.trim().split(/\s+/);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${label}: invalid "plugin_args": ${(err as Error).message}; give a list of strings`);
  }
  if (!Array.isArray(parsed) || !parsed.every((arg) => typeof arg === 'string')) {
    throw new Error(`${label}: invalid "plugin_args": expected a list of strings`);
  }
  return parsed as string[];
}

/** `down`: the process exited on its own, or its last restart failed, and the next call starts it again. */
type ProcessState = 'running' | 'down' | 'restarting' | 'stopped';

/** A running seal or storage plugin and its service client, restarted by the next call after it exits on its own. */
export class ConfigPluginProcess {
  private state: ProcessState = 'running';
  private current: Promise<grpc.Client>;
  private launched: LaunchedPlugin | undefined;
  private connection: PluginConnection | undefined;
  /** Cause of the last exit or failed restart, for the error of a call refused while the process is down. */
  private problem = '';
  private readonly restarts = new RestartLimit();
  private readonly output: PluginOutputLog;
  /** The plugin's name in messages, e.g. `storage plugin "acme-store"`. */
  readonly label: string;

  private constructor(
    private readonly stanza: PluginStanza,
    private readonly options: ConfigPluginOptions & { pluginDirectory: string },
    private readonly logger: Logger,
    private readonly client: (connection: PluginConnection) => grpc.Client,
  ) {
    this.label = `${stanza.kind} plugin "${stanza.type}"`;
    this.output = new PluginOutputLog(logger, stanza.type, () => []);
    // start() replaces this with the first launch's client before any call can run.
    this.current = Promise.reject(new Error(`${this.label} was not started`));
    this.current.catch(() => {});
  }

  /**
   * Starts the plugin and calls Create with the stanza's settings.
   * @returns the process and the reply of Create.
   * @throws Error naming the stanza and what went wrong; no process is left running.
   */
  static async start<CreateReply>(
    stanza: PluginStanza,
    options: ConfigPluginOptions,
    logger: Logger,
    client: (connection: PluginConnection) => grpc.Client,
  ): Promise<{ process: ConfigPluginProcess; created: CreateReply }> {
    const label = `${stanza.kind} "${stanza.type}"`;
    if (options.pluginDirectory === undefined) {
      throw new Error(`${label}: "${stanza.type}" is not a built-in ${stanza.kind} type, so it runs as an external plugin: set "plugin_directory" in the server configuration`);
    }
    await checkBinary(label, stanza, options.pluginDirectory);
    const plugin = new ConfigPluginProcess(stanza, { ...options, pluginDirectory: options.pluginDirectory }, logger, client);
    let created: CreateReply;
    try {
      const started = await plugin.launch();
      plugin.current = Promise.resolve(started.client);
      created = started.created as CreateReply;
    } catch (err) {
      plugin.state = 'stopped';
      throw new Error(`${label}: ${(err as Error).message}`);
    }
    return { process: plugin, created };
  }

  /** The ID of the running process, for diagnostics and tests. */
  get pid(): number | undefined {
    return this.state === 'running' ? this.launched?.pid : undefined;
  }

  /**
   * Calls a method of the plugin's service. Waits for a restart under way,
   * and starts the process again first when it is down.
   * @throws CofferError (500) naming the plugin when it was stopped, could
   *   not be restarted, was restarted too often within the window, or
   *   stopped during the call. Throws Error naming it when the call failed
   *   or timed out.
   */
  async call<Reply>(method: string, request: object, timeoutMs: number): Promise<Reply> {
    const client = await this.ready();
    try {
      return await callUnary<Reply>(client, method, request, { deadline: Date.now() + timeoutMs });
    } catch (err) {
      throw await this.describeCallFailure(method, err);
    }
  }

  /** Calls the plugin's Close, then stops the process: a shutdown request first, its process group killed after a grace period. */
  async close(): Promise<void> {
    if (this.state === 'stopped') return;
    if (this.state === 'running') {
      try {
        await this.call('Close', {}, CLOSE_CALL_MS);
      } catch (err) {
        this.logger.warn({ plugin: this.stanza.type, kind: this.stanza.kind, err }, 'plugin close failed');
      }
    }
    this.state = 'stopped';
    this.output.flush();
    await this.current.catch(() => undefined);
    const connection = this.connection;
    const launched = this.launched;
    this.connection = undefined;
    if (connection !== undefined) await connection.shutdown();
    if (launched === undefined) return;
    await launched.stop(STOP_GRACE_MS);
    this.logger.info({ plugin: this.stanza.type, kind: this.stanza.kind, pid: launched.pid }, 'plugin stopped');
  }

  /** Resolves to the client once the process runs, starting it again when it is down and the restart limit allows. */
  private async ready(): Promise<grpc.Client> {
    if (this.state === 'stopped') throw unavailable(`${this.label} was stopped`);
    if (this.state === 'down') {
      const now = Date.now();
      if (!this.restarts.allows(now)) {
        throw unavailable(`${this.label} is not running (${this.problem}) and was restarted ${MAX_RESTARTS} times within ${RESTART_WINDOW_MS / 1000} s; ${this.nextAttempt(now)}`);
      }
      this.restarts.record(now);
      this.state = 'restarting';
      this.current = this.restart();
      this.current.catch(() => {});
    }
    return this.current;
  }

  /** Launches the process, connects, and calls Create. On any failure the process is stopped. */
  private async launch(): Promise<{ client: grpc.Client; created: unknown }> {
    const { stanza, options } = this;
    // One deadline covers the handshake, the health check and Create, so a
    // plugin that hangs at any step fails within the start timeout.
    const deadline = Date.now() + options.startTimeoutMs;
    const launched = await launchPlugin({
      entry: { name: stanza.type, command: stanza.command, args: stanza.args, env: [], sha256: stanza.sha256 },
      pluginDirectory: options.pluginDirectory,
      startTimeoutMs: options.startTimeoutMs,
      onOutput: (stream, line) => this.output.write(stream, line),
    });
    let connection: PluginConnection | undefined;
    let created: unknown;
    let client: grpc.Client;
    try {
      connection = await PluginConnection.connect(launched, { name: stanza.type, deadline, onOutput: (stream, line) => this.output.write(stream, line) });
      client = this.client(connection);
      try {
        created = await callUnary(client, 'Create', { settings: stanza.settings }, { deadline });
      } catch (err) {
        const details = (err as grpc.ServiceError).details ?? (err as Error).message;
        if ((err as grpc.ServiceError).code === grpc.status.DEADLINE_EXCEEDED) {
          throw new Error(`the plugin's Create call did not finish within the start timeout of ${options.startTimeoutMs} ms; it was killed`);
        }
        throw new Error(`the plugin's Create call failed: ${details}`);
      }
    } catch (err) {
      connection?.close();
      await launched.stop(0);
      throw err;
    }
    this.launched = launched;
    this.connection = connection;
    void launched.exited.then((status) => this.onExit(launched, status));
    this.logger.info({ plugin: stanza.type, kind: stanza.kind, pid: launched.pid }, 'plugin started');
    return { client, created };
  }

  /**
   * Turns a failed call into an error naming the plugin. When the process
   * died during the call the error is an API error (500) that reports it. An
   * error the plugin returned stays a plain Error, which the API reports as
   * an internal error and the log records, because it may name hosts or
   * files of the plugin's store.
   */
  private async describeCallFailure(method: string, err: unknown): Promise<Error> {
    const details = (err as grpc.ServiceError).details ?? (err as Error).message;
    const launched = this.launched;
    if (launched !== undefined && !launched.hasExited()) {
      await Promise.race([launched.exited, new Promise((resolve) => setTimeout(resolve, EXIT_PROBE_MS).unref())]);
    }
    if (launched?.hasExited() === true || this.state === 'down' || this.state === 'restarting') {
      return unavailable(`${this.label} stopped during ${method} (${details}); it restarts on the next request, so retry the request`);
    }
    return new Error(`${this.label} failed ${method}: ${details}`);
  }

  private onExit(launched: LaunchedPlugin, status: ExitStatus): void {
    // A process that exits while it starts fails the start itself.
    if (launched !== this.launched || this.state !== 'running') return;
    this.connection?.close();
    this.connection = undefined;
    void launched.stop(0);
    this.state = 'down';
    this.problem = `it exited with ${describeExit(status)}`;
    this.logger.error({ plugin: this.stanza.type, kind: this.stanza.kind, pid: launched.pid, exit: describeExit(status) }, 'plugin process exited unexpectedly; it restarts on the next request');
  }

  /**
   * Starts the process again for the call that found it down. A failed
   * attempt leaves it down, so a later call tries again.
   * @throws CofferError (500) naming the plugin and why it did not start.
   */
  private async restart(): Promise<grpc.Client> {
    try {
      const { client } = await this.launch();
      if (this.state === 'restarting') this.state = 'running';
      this.logger.info({ plugin: this.stanza.type, kind: this.stanza.kind, pid: this.launched?.pid }, 'plugin restarted');
      return client;
    } catch (err) {
      if (this.state === 'stopped') throw unavailable(`${this.label} was stopped`);
      const message = (err as Error).message;
      this.state = 'down';
      this.problem = `the last restart failed: ${message}`;
      this.logger.error({ plugin: this.stanza.type, kind: this.stanza.kind, err, restarts: this.restarts.count }, 'plugin could not be restarted');
      throw unavailable(`${this.label} is not running and could not be restarted: ${message}; ${this.nextAttempt(Date.now())}`);
    }
  }

  /** Describes when the process is started again, and how an operator starts it sooner. */
  private nextAttempt(now: number): string {
    if (this.restarts.allows(now)) return 'the next request tries again';
    // The stanza is read only at start-up, so nothing short of a server restart starts the plugin sooner.
    return `it is not tried again before ${new Date(this.restarts.nextAllowedAt()).toISOString()}; to start it sooner, fix the plugin, then restart the server`;
  }
}

/**
 * Hashes the plugin binary before launching it, so that a mismatch names
 * `plugin_sha256`. The runner hashes the copy it executes again.
 * @throws Error when the command is invalid or the hash differs; nothing is executed.
 */
async function checkBinary(label: string, stanza: PluginStanza, pluginDirectory: string): Promise<void> {
  let path: string;
  try {
    path = await resolvePluginCommand(pluginDirectory, stanza.command);
  } catch (err) {
    throw new Error(`${label}: ${(err as Error).message.replace('"command"', '"plugin_command"')}`);
  }
  const actual = createHash('sha256').update(await readFile(path)).digest('hex');
  if (actual !== stanza.sha256) {
    throw new Error(
      `${label}: the SHA-256 of "${stanza.command}" is ${actual}, but "plugin_sha256" is ${stanza.sha256}, so it was not run; ` +
        'if the binary changed on purpose, set "plugin_sha256" to its new hash',
    );
  }
}
