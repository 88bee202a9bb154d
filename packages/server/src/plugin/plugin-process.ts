/**
 * One plugin process and the mounts, audit devices or database connections
 * it serves. A process that exits on its own is started again by the next
 * call that needs it, as Vault does, and every mount is set up on the new
 * process. Database connections and audit devices set themselves up again
 * on their next call. Calls that arrive during the restart wait for it.
 * Calls cut off by the exit fail, so an audit entry the plugin may not have
 * written fails its request. Restarts are limited to {@link MAX_RESTARTS}
 * within {@link RESTART_WINDOW_MS}, and beyond that calls fail at once.
 */
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import {
  callUnary,
  CofferError,
  errorFromWire,
  MULTIPLEX_ID_METADATA_KEY,
  SETUP_CONFIG_KEYS,
  type Logger,
  type SpecialPaths,
  type WirePaths,
  type WireProtoError,
} from '@coffer/sdk';
import type { MountHostServices } from './broker-services.js';
import type { CatalogEntry } from './catalog.js';
import { PluginConnection, type OfferedServices } from './connection.js';
import { PluginOutputLog } from './output-log.js';
import { MAX_RESTARTS, RESTART_WINDOW_MS, RestartLimit } from './restart-limit.js';
import { describeExit, launchPlugin, type ExitStatus, type LaunchedPlugin } from './runner.js';

/** A mount served by an external plugin. */
export interface MountBinding extends MountHostServices {
  /** The mount path with its route prefix and a trailing "/", e.g. "auth/corp/". */
  path: string;
  uuid: string;
  accessor: string;
  /** The mount's options, sent to Setup together with the host's own keys. */
  options: Record<string, string>;
}

export interface ProcessContext {
  pluginDirectory: string;
  startTimeoutMs: number;
  logger: Logger;
}

/** How long a stopped plugin may take to exit before its process group is killed, in milliseconds. */
const STOP_GRACE_MS = 2000;
/** How long a call that failed waits to learn whether the process exited, in milliseconds. */
const EXIT_PROBE_MS = 300;

/** The binding of one mount to a plugin process. */
export class MountSession {
  /**
   * The multiplex ID of this backend instance in the plugin. It is not the
   * mount's UUID, so that a reload can set up the mount's new instance while
   * the old one still serves, even in the same process.
   */
  readonly id = randomUUID();
  specialPaths: SpecialPaths = { root: [], unauthenticated: [] };
  broker: OfferedServices | undefined;
  /** Set once the mount released the process; calls then fail at once. */
  detached = false;
  /** Set while a reload starts the mount's replacement; see `PluginSupervisor.attach`. */
  replaced = false;

  constructor(
    readonly binding: MountBinding,
    readonly process: PluginProcess,
  ) {}

  /** Builds the call metadata that selects this mount's backend instance in the plugin. */
  metadata(): Metadata {
    const metadata = new Metadata();
    metadata.set(MULTIPLEX_ID_METADATA_KEY, this.id);
    return metadata;
  }
}

/** `down`: the process exited on its own and the next call starts it again. */
type ProcessState = 'starting' | 'running' | 'down' | 'restarting' | 'stopped';

export class PluginProcess {
  /** The mounts served, by {@link MountSession.id}. */
  readonly sessions = new Map<string, MountSession>();
  /** UUIDs of the audit devices open in this process, for an audit plugin. */
  readonly auditDevices = new Set<string>();
  /** IDs of the connections open in this process, for a database plugin. */
  readonly databaseConnections = new Set<string>();
  private state: ProcessState = 'starting';
  private launched: LaunchedPlugin | undefined;
  private connection: PluginConnection | undefined;
  private current: Promise<PluginConnection>;
  /** Cause of the last exit or failed restart, for the error of a call refused while the process is down. */
  private problem = '';
  private readonly restarts = new RestartLimit();
  private readonly output: PluginOutputLog;

  constructor(
    readonly entry: CatalogEntry,
    private readonly context: ProcessContext,
  ) {
    this.output = new PluginOutputLog(context.logger, entry.name, () => [...this.sessions.values()].map((session) => session.binding.path));
    this.current = this.launch(false);
    this.current.catch(() => {});
  }

  get pid(): number | undefined {
    return this.launched?.pid;
  }

  get multiplexed(): boolean {
    return this.connection?.multiplexed ?? false;
  }

  /** True when the process serves no mount, audit device or database connection. */
  get idle(): boolean {
    return this.sessions.size === 0 && this.auditDevices.size === 0 && this.databaseConnections.size === 0;
  }

  /** True while the process runs and serves calls; false while it is down, restarting or stopped. */
  get running(): boolean {
    return this.state === 'running';
  }

  /** Returns whether `connection` belongs to the process running now, which is false after a restart. */
  isCurrent(connection: PluginConnection): boolean {
    return this.connection === connection;
  }

  /** Waits briefly for the process to exit after a failed call; returns whether it exited or is restarting. */
  async stoppedDuringCall(): Promise<boolean> {
    const launched = this.launched;
    if (launched !== undefined && !launched.hasExited()) {
      await Promise.race([launched.exited, new Promise((resolve) => setTimeout(resolve, EXIT_PROBE_MS).unref())]);
    }
    return launched?.hasExited() === true || this.state === 'down' || this.state === 'restarting';
  }

  get usable(): boolean {
    return this.state !== 'stopped';
  }

  /**
   * Resolves to the connection once the process runs, waiting for a start
   * or restart in progress, and starting the process again when it is down.
   * @throws CofferError (500) when the process was stopped, cannot be
   *   restarted, or was restarted too often within the window.
   */
  async ready(): Promise<PluginConnection> {
    if (this.state === 'stopped') throw unavailable(`plugin "${this.entry.name}" was stopped`);
    if (this.state === 'down') {
      const now = Date.now();
      if (!this.restarts.allows(now)) {
        throw unavailable(
          `plugin "${this.entry.name}" is not running (${this.problem}) and was restarted ${MAX_RESTARTS} times within ${RESTART_WINDOW_MS / 1000} s; ${this.nextAttempt(now)}`,
        );
      }
      this.restarts.record(now);
      this.state = 'restarting';
      this.current = this.restart();
      this.current.catch(() => {});
    }
    return this.current;
  }

  /** Sets up the backend instance of a mount: offers the host's services, then calls Setup and SpecialPaths. */
  async setUp(session: MountSession, connection?: PluginConnection): Promise<void> {
    const ready = connection ?? (await this.ready());
    session.broker?.close();
    session.broker = await ready.offer(session.binding);
    const config = {
      ...session.binding.options,
      [SETUP_CONFIG_KEYS.pluginName]: this.entry.name,
      [SETUP_CONFIG_KEYS.pluginType]: this.entry.type,
      [SETUP_CONFIG_KEYS.pluginVersion]: this.entry.version,
      [SETUP_CONFIG_KEYS.mountPoint]: session.binding.path,
    };
    const deadline = Date.now() + this.context.startTimeoutMs;
    const reply = await callUnary<{ err?: string }>(
      ready.backend,
      'Setup',
      { broker_id: session.broker.brokerId, config, backend_uuid: session.binding.uuid },
      { metadata: session.metadata(), deadline },
    );
    if (reply.err !== undefined && reply.err !== '') {
      session.broker.close();
      throw new CofferError('COFFER_ERR_PLUGIN_SETUP', 400, `plugin "${this.entry.name}" failed to set up mount "${session.binding.path}": ${reply.err}`);
    }
    const paths = await callUnary<{ paths?: WirePaths | null }>(ready.backend, 'SpecialPaths', {}, { metadata: session.metadata(), deadline });
    session.specialPaths = { root: paths.paths?.root ?? [], unauthenticated: paths.paths?.unauthenticated ?? [] };
  }

  /** Calls the backend's Initialize. @throws the backend's error. */
  async initialize(session: MountSession, connection?: PluginConnection): Promise<void> {
    const ready = connection ?? (await this.ready());
    const reply = await callUnary<{ err?: WireProtoError | null }>(ready.backend, 'Initialize', {}, { metadata: session.metadata() });
    if (reply.err !== null && reply.err !== undefined) throw errorFromWire(reply.err, null);
  }

  /**
   * Turns a failed gRPC call into the client's error, naming the plugin and
   * the mount. When the process died during the call, the message states
   * that a restart is already under way.
   */
  async describeCallFailure(err: unknown, session: MountSession): Promise<CofferError> {
    const details = (err as grpc.ServiceError).details ?? (err as Error).message;
    const launched = this.launched;
    if (launched !== undefined && !launched.hasExited()) {
      await Promise.race([launched.exited, new Promise((resolve) => setTimeout(resolve, EXIT_PROBE_MS).unref())]);
    }
    const label = `plugin "${this.entry.name}" (mount "${session.binding.path}")`;
    if (launched?.hasExited() === true || this.state === 'down' || this.state === 'restarting') {
      return unavailable(`${label} stopped while handling the request (${details}); it restarts on the next request, so retry the request`);
    }
    return unavailable(`request to ${label} failed: ${details}`);
  }

  /** Stops the process: requests a shutdown, then kills its process group after a grace period. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.output.flush();
    await this.current.catch(() => undefined);
    const connection = this.connection;
    const launched = this.launched;
    this.connection = undefined;
    if (connection !== undefined) await connection.shutdown();
    if (launched === undefined) return;
    await launched.stop(STOP_GRACE_MS);
    this.context.logger.info({ plugin: this.entry.name, pid: launched.pid }, 'plugin stopped');
  }

  /**
   * Launches the process and connects to it; on a restart, sets up every
   * mount again. The process counts as running only once all of that worked.
   */
  private async launch(restart: boolean): Promise<PluginConnection> {
    const launched = await launchPlugin({
      entry: this.entry,
      pluginDirectory: this.context.pluginDirectory,
      startTimeoutMs: this.context.startTimeoutMs,
      onOutput: (stream, line) => this.output.write(stream, line),
    });
    let connection: PluginConnection;
    try {
      connection = await PluginConnection.connect(launched, {
        name: this.entry.name,
        deadline: Date.now() + this.context.startTimeoutMs,
        onOutput: (stream, line) => this.output.write(stream, line),
      });
    } catch (err) {
      await launched.stop(0);
      throw err;
    }
    this.launched = launched;
    this.connection = connection;
    void launched.exited.then((status) => this.onExit(launched, status));
    if (restart) {
      for (const session of this.sessions.values()) {
        await this.setUp(session, connection);
        await this.initialize(session, connection);
      }
    }
    if (this.state === 'stopped') {
      // Stopped while starting: stop() waits for this start and then shuts the process down.
      return connection;
    }
    this.state = 'running';
    const log = { plugin: this.entry.name, version: this.entry.version, pid: launched.pid, multiplexed: connection.multiplexed };
    this.context.logger.info(log, restart ? 'plugin restarted' : 'plugin started');
    return connection;
  }

  private onExit(launched: LaunchedPlugin, status: ExitStatus): void {
    // A process that exits while it starts fails the start itself.
    if (launched !== this.launched || this.state !== 'running') return;
    this.connection?.close();
    this.connection = undefined;
    for (const session of this.sessions.values()) session.broker?.close();
    void launched.stop(0);
    this.state = 'down';
    this.problem = `it exited with ${describeExit(status)}`;
    const mounts = [...this.sessions.values()].map((session) => session.binding.path);
    this.context.logger.error({ plugin: this.entry.name, pid: launched.pid, exit: describeExit(status), mounts }, 'plugin process exited unexpectedly; it restarts on the next request');
  }

  /**
   * Starts the process again for the call that found it down. A failed
   * attempt leaves it down, so a later call tries again.
   * @throws CofferError (500) naming the plugin and why it did not start.
   */
  private async restart(): Promise<PluginConnection> {
    const previous = this.launched;
    try {
      return await this.launch(true);
    } catch (err) {
      if (this.launched !== previous) {
        // It started but a mount could not be set up on it.
        this.connection?.close();
        this.connection = undefined;
        void this.launched?.stop(0);
      }
      if (this.state === 'stopped') throw unavailable(`plugin "${this.entry.name}" was stopped`);
      this.state = 'down';
      this.problem = `the last restart failed: ${(err as Error).message}`;
      this.context.logger.error({ plugin: this.entry.name, err, restarts: this.restarts.count }, 'plugin could not be restarted');
      throw unavailable(`plugin "${this.entry.name}" is not running and could not be restarted: ${(err as Error).message}; ${this.nextAttempt(Date.now())}`);
    }
  }

  /** Says when the process is started again, and how an operator starts it sooner. */
  private nextAttempt(now: number): string {
    if (this.restarts.allows(now)) return 'the next request tries again';
    const fix = {
      audit: 'fix the plugin, then disable and enable its audit devices again',
      database: "fix the plugin, then reset its connections with the database engine's reset/:name",
      secret: 'fix the plugin, then reload its mounts with sys/plugins/reload/backend',
      auth: 'fix the plugin, then reload its mounts with sys/plugins/reload/backend',
    }[this.entry.type];
    return `it is not tried again before ${new Date(this.restarts.nextAllowedAt()).toISOString()}; to start it sooner, ${fix}`;
  }
}

/** Builds the 500 error of a plugin that cannot serve the request. */
export function unavailable(message: string): CofferError {
  return new CofferError('COFFER_ERR_PLUGIN_UNAVAILABLE', 500, message);
}
