/**
 * External plugins in the core: the catalog, the supervisor of plugin
 * processes, and the backend factory of a mount of a catalog plugin.
 */
import { randomUUID } from 'node:crypto';
import {
  badRequest,
  type AuditDevice,
  type Database,
  CofferError,
  SETUP_CONFIG_KEYS,
  type BackendConfig,
  type LogicalBackend,
  type Logger,
  type Storage,
} from '@coffer/sdk';
import type { ExternalAuditDevices } from '../audit/broker.js';
import type { MountEntry } from '../router/mount-table.js';
import { PluginCommandError, resolvePluginCommand, sha256OfFile } from './binary.js';
import { PluginCatalog, type CatalogEntry, type CatalogPluginType } from './catalog.js';
import { PluginLaunchError } from './runner.js';
import { PluginSupervisor } from './supervisor.js';

/** How long a plugin may take from start to a healthy connection, by default, in milliseconds. */
export const DEFAULT_PLUGIN_START_TIMEOUT_MS = 30_000;

export interface ExternalPluginsOptions {
  /** Storage of the catalog: the barrier. */
  storage: Storage;
  logger: Logger;
  /** The only folder plugin commands may run from; without it no plugin can be registered or started. */
  pluginDirectory?: string;
  /** Default {@link DEFAULT_PLUGIN_START_TIMEOUT_MS}. */
  startTimeoutMs?: number;
  clusterInfo(): { name: string; id: string };
}

/** The factory a mount manager calls to create a mount's backend. */
/** The version and SHA-256 of the catalog plugin a mount runs. */
export interface RunningPlugin {
  version: string;
  sha256: string;
}

export interface BackendFactory {
  factory(config: BackendConfig): Promise<LogicalBackend>;
  /** The catalog plugin that the factory runs, as `sys/mounts` reports it. */
  running?: RunningPlugin;
}

const RESERVED_OPTIONS = new Set<string>(Object.values(SETUP_CONFIG_KEYS));

export class ExternalPlugins implements ExternalAuditDevices {
  readonly catalog: PluginCatalog;
  readonly supervisor: PluginSupervisor;
  readonly pluginDirectory: string | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: ExternalPluginsOptions) {
    this.logger = options.logger.child({ component: 'plugins' });
    this.catalog = new PluginCatalog(options.storage);
    this.pluginDirectory = options.pluginDirectory;
    this.supervisor = new PluginSupervisor({
      pluginDirectory: options.pluginDirectory ?? '',
      startTimeoutMs: options.startTimeoutMs ?? DEFAULT_PLUGIN_START_TIMEOUT_MS,
      logger: this.logger,
    });
  }

  /**
   * Opens an audit device of the catalog's audit plugin `name` (its
   * unversioned entry, else its highest version) in a plugin process.
   * Returns `undefined` when the catalog has no such plugin.
   * @throws Error when no plugin directory is configured, the process cannot
   *   be started or the plugin rejects the options.
   */
  async open(name: string, device: { path: string; uuid: string; options: Record<string, string> }): Promise<AuditDevice | undefined> {
    const catalogEntry = await this.catalog.resolve('audit', name, '');
    if (catalogEntry === null) return undefined;
    if (this.pluginDirectory === undefined) {
      throw new Error(`cannot start plugin "${name}": no plugin directory is configured; set "plugin_directory" in the server configuration`);
    }
    return this.supervisor.attachAudit(catalogEntry, device);
  }

  /**
   * Opens a connection object of the catalog's database plugin `name`, the
   * given version or, without one, the unversioned entry, else the highest
   * version. Returns `undefined` when the catalog has no such plugin.
   * @throws CofferError (400) when no plugin directory is configured or the
   *   binary's command or hash is wrong, and (500) when the process fails to start.
   */
  async openDatabase(name: string, version = ''): Promise<Database | undefined> {
    const catalogEntry = await this.catalog.resolve('database', name, version);
    if (catalogEntry === null) return undefined;
    if (this.pluginDirectory === undefined) {
      throw badRequest(`cannot start plugin "${name}": no plugin directory is configured; set "plugin_directory" in the server configuration`);
    }
    try {
      return await this.supervisor.attachDatabase(catalogEntry, randomUUID());
    } catch (err) {
      throw toApiError(err);
    }
  }

  /**
   * Resolves a mount type that is not built in against the catalog.
   * Returns `undefined` when the catalog has no unversioned match, so the
   * caller reports the unknown type. While the server unseals (`loading`),
   * the options of a mount already in the table are not checked again. A
   * plugin that cannot be found or started at unseal throws as at any other
   * time, and the mount manager then marks only that mount as failed.
   * @throws CofferError (400) for a pinned version that is not registered or
   *   an option the host reserves.
   */
  async resolve(type: CatalogPluginType, entry: MountEntry, loading: boolean): Promise<BackendFactory | undefined> {
    const catalogEntry = await this.catalog.resolve(type, entry.type, entry.pluginVersion);
    if (catalogEntry === null) {
      const pinned = entry.pluginVersion === '' ? '' : ` version ${entry.pluginVersion}`;
      if (pinned !== '') throw badRequest(`plugin not found in the catalog: ${entry.type}${pinned}`);
      return undefined;
    }
    if (!loading) {
      for (const option of Object.keys(entry.options)) {
        if (RESERVED_OPTIONS.has(option)) throw badRequest(`invalid option "${option}": the server sets it for external plugins; use another name`);
      }
    }
    return { factory: (config) => this.createBackend(catalogEntry, entry, config), running: { version: catalogEntry.version, sha256: catalogEntry.sha256 } };
  }

  /**
   * Checks that the catalog entry's command exists in the plugin directory and
   * still has the registered SHA-256, without running it.
   * @throws CofferError (400) whose message starts with `context` and names the fix.
   */
  async verifyBinary(catalogEntry: CatalogEntry, context: string): Promise<void> {
    if (this.pluginDirectory === undefined) {
      throw badRequest(`${context}: no plugin directory is configured; set "plugin_directory" in the server configuration`);
    }
    let actual: string;
    try {
      actual = await sha256OfFile(await resolvePluginCommand(this.pluginDirectory, catalogEntry.command));
    } catch (err) {
      if (err instanceof PluginCommandError) throw badRequest(`${context}: ${err.message}`);
      throw err;
    }
    if (actual !== catalogEntry.sha256) {
      throw badRequest(
        `${context}: the SHA-256 of the binary of plugin "${catalogEntry.name}" is ${actual}, but the catalog expects ${catalogEntry.sha256}; ` +
          `if "${catalogEntry.command}" changed on purpose, register it again with its new sha256`,
      );
    }
  }

  /** Stops every plugin process. */
  stopAll(): Promise<void> {
    return this.supervisor.stopAll();
  }

  private async createBackend(catalogEntry: CatalogEntry, entry: MountEntry, config: BackendConfig): Promise<LogicalBackend> {
    try {
      if (this.pluginDirectory === undefined) {
        throw badRequest(`cannot start plugin "${catalogEntry.name}": no plugin directory is configured; set "plugin_directory" in the server configuration`);
      }
      return await this.supervisor.attach(catalogEntry, {
        path: config.mountPoint,
        uuid: entry.uuid,
        accessor: entry.accessor,
        options: config.options,
        storage: config.storage,
        system: config.system,
        local: entry.local,
        clusterInfo: this.options.clusterInfo,
      });
    } catch (err) {
      throw toApiError(err);
    }
  }
}

/**
 * The API error for a failed start: 400 when the operator must fix the
 * catalog entry or the binary, 500 when the process itself failed.
 */
function toApiError(err: unknown): CofferError {
  if (err instanceof CofferError) return err;
  if (err instanceof PluginLaunchError && err.failure !== 'start') return badRequest(err.message);
  return new CofferError('COFFER_ERR_PLUGIN_START', 500, (err as Error).message);
}
