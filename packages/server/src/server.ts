/**
 * Starting and stopping a Coffer server: configuration, storage, core and
 * listeners.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { ClosableStorage, Logger } from '@coffer/sdk';
import { DEFAULT_CACHE_SIZE, loadConfig, type ListenerConfig, type ServerConfig } from './config/index.js';
import { Core } from './core.js';
import { haOptionsFrom } from './ha/options.js';
import { createRequestListener } from './http/handler.js';
import { loadUiAssets, withUi } from './http/ui.js';
import { withUnauthenticatedMetrics } from './telemetry/path-metrics.js';
import { DEFAULT_TELEMETRY } from './telemetry/registry.js';
import { createListAwareAcceptor } from './http/list-adoption.js';
import { LoggerLevels, parseLevel } from './logging/levels.js';
import { createLogger } from './logging/logger.js';
import { LogMonitor } from './logging/monitor.js';
import { builtinStorageBackends } from './plugins.js';
import { DEFAULT_PLUGIN_START_TIMEOUT_MS } from './plugin/external-plugins.js';
import { namesExternalPlugin, type ConfigPluginOptions } from './plugin/config-plugin.js';
import { ExternalStorage } from './plugin/storage-client.js';
import type { RetryDelays } from './seal/auto-unseal.js';
import { openSeals } from './seal/builtin-seals.js';
import { createSealBackend, createSystemBackends } from './system/backend.js';
import { sanitizeConfig } from './system/path-config-state.js';

export interface StartOptions {
  /** Config files or folders, as given by `-config`; required unless `dev`. */
  configPaths?: string[];
  dev?: boolean;
  devRootTokenId?: string;
  /** Default `127.0.0.1:8200`; port 0 picks a free port. */
  devListenAddress?: string;
  logLevel?: string;
  /** Destination of the JSON log lines; standard output by default. */
  logDestination?: { write(line: string): unknown };
  /** The plugin directory of a dev server, as `-dev-plugin-dir` sets it. */
  devPluginDirectory?: string;
  /** How long an external plugin may take to start, in milliseconds; 30 s by default. */
  pluginStartTimeoutMs?: number;
  /** Waits between auto-unseal attempts while the seal is unreachable; 1 s doubling up to 30 s by default. */
  autoUnsealRetry?: RetryDelays;
  /** How long an HA node waits after `sys/step-down` before contending again; Vault's 10 s by default. */
  haStepDownPauseMs?: number;
  /** The clock of the barrier's key install times and rotation interval, in milliseconds; `Date.now` by default. Tests set it. */
  clock?: () => number;
}

export interface RunningServer {
  /** The first listener's URL, e.g. `http://127.0.0.1:8200`. */
  address: string;
  addresses: string[];
  /** The storage backend's type, such as `sqlite` or `inmem`. */
  storageType: string;
  core: Core;
  dev?: { rootToken: string; unsealKey: string };
  close(): Promise<void>;
}

/** Vault's default for both lease TTLs: 768 hours. */
const DEFAULT_LEASE_TTL = 768 * 3600;
/** Storage for a config without a storage stanza: SQLite in the working directory. */
const DEFAULT_STORAGE = { type: 'sqlite', settings: { path: 'coffer-data/coffer.db' } };

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const config = options.dev === true ? devConfig(options) : await loadConfig(options.configPaths ?? []);
  const level = options.logLevel ?? config.logLevel;
  const parsedLevel = parseLevel(level);
  if (parsedLevel === undefined || parsedLevel !== level) throw new Error(`invalid log level "${level}": use trace, debug, info, warn or error`);
  const logLevels = new LoggerLevels(parsedLevel);
  const logMonitor = new LogMonitor();
  const logger = createLogger(parsedLevel, options.logDestination, logLevels, logMonitor);

  if (config.disableMlock) logger.info({}, 'disable_mlock is set; Node.js cannot lock memory, so the setting changes nothing');
  if (config.disableCache) logger.info({}, 'disable_cache is set; every storage read goes to the storage backend');
  if (config.ignoredSettings.length > 0) logger.info({ settings: config.ignoredSettings }, 'accepted vault settings that coffer does not use');
  if (config.listeners.length === 0) throw new Error('no listener configured: add a listener "tcp" stanza');

  const configPlugins: ConfigPluginOptions = {
    ...(config.pluginDirectory !== undefined ? { pluginDirectory: resolvePath(config.pluginDirectory) } : {}),
    startTimeoutMs: options.pluginStartTimeoutMs ?? DEFAULT_PLUGIN_START_TIMEOUT_MS,
  };
  const { seal, sealMigration } = await openSeals(config, logger, process.env, configPlugins);

  const storageConfig = config.storage ?? DEFAULT_STORAGE;
  if (config.storage === undefined) {
    mkdirSync(dirname(DEFAULT_STORAGE.settings.path), { recursive: true });
    logger.info({ path: DEFAULT_STORAGE.settings.path }, 'no storage stanza; using the embedded sqlite default');
  }
  // A seal plugin's process must not outlive a failed start.
  const physical = await openStorage(storageConfig.type, storageConfig.settings, logger, configPlugins).catch(async (err: unknown) => {
    await seal?.close();
    throw err;
  });
  const core = new Core({
    physical,
    storageType: storageConfig.type,
    logger,
    logLevels,
    logMonitor,
    defaultLeaseTtl: config.defaultLeaseTtl || DEFAULT_LEASE_TTL,
    maxLeaseTtl: config.maxLeaseTtl || DEFAULT_LEASE_TTL,
    userLockout: config.userLockout,
    cacheSize: config.cacheSize,
    disableCache: config.disableCache,
    telemetry: {
      prefix: config.telemetry?.metricsPrefix ?? DEFAULT_TELEMETRY.prefix,
      prometheusRetentionSeconds: config.telemetry?.prometheusRetentionSeconds ?? DEFAULT_TELEMETRY.prometheusRetentionSeconds,
      usageGaugePeriodSeconds: config.telemetry?.usageGaugePeriodSeconds ?? DEFAULT_TELEMETRY.usageGaugePeriodSeconds,
      disableHostname: config.telemetry?.disableHostname ?? DEFAULT_TELEMETRY.disableHostname,
    },
    ...(config.pluginDirectory !== undefined ? { pluginDirectory: resolvePath(config.pluginDirectory) } : {}),
    ...(options.pluginStartTimeoutMs !== undefined ? { pluginStartTimeoutMs: options.pluginStartTimeoutMs } : {}),
    ...(seal !== undefined ? { seal } : {}),
    ...(options.autoUnsealRetry !== undefined ? { autoUnsealRetry: options.autoUnsealRetry } : {}),
    ha: {
      ...haOptionsFrom(config),
      ...(options.haStepDownPauseMs !== undefined ? { stepDownPauseMs: options.haStepDownPauseMs } : {}),
    },
    ...(sealMigration !== undefined ? { sealMigration } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    sanitizedConfig: sanitizeConfig(config),
  });
  try {
    await core.load();
  } catch (err) {
    await core.seal.close();
    await sealMigration?.from?.close();
    await physical.close();
    throw err;
  }
  // During a seal migration the old seal's key shares unseal, not the new seal.
  if (core.isInitialized && core.migration?.active !== true) core.autoUnseal?.start();

  let dev: RunningServer['dev'];
  if (options.dev === true) dev = await bootstrapDev(core, options.devRootTokenId);

  const apiListener = createRequestListener({
    core,
    system: createSystemBackends(core),
    sealBackend: createSealBackend(core, storageConfig.type),
    logger,
  });
  const corsListener = core.cors.wrap(apiListener);
  const uiAssets = config.ui ? await loadUiAssets(logger) : undefined;
  const listener = uiAssets === undefined ? corsListener : withUi(corsListener, uiAssets);

  const listeners: Listener[] = [];
  try {
    for (const listenerConfig of config.listeners) {
      const handler = listenerConfig.unauthenticatedMetricsAccess === true ? withUnauthenticatedMetrics(listener, core.metrics, core.gauges, logger) : listener;
      const started = await listen(listenerConfig, handler);
      listeners.push(started);
      logger.info({ address: started.url }, 'listener started');
    }
  } catch (err) {
    await Promise.all(listeners.map(closeListener));
    await core.autoUnseal?.stop();
    await core.seal.close();
    await sealMigration?.from?.close();
    await physical.close();
    throw err;
  }

  // SIGHUP reopens audit files, for log rotation.
  const reopenAudit = (): void => {
    core.audit.reopen().catch((err: unknown) => logger.error({ err }, 'audit reopen failed'));
  };
  process.on('SIGHUP', reopenAudit);
  const addresses = listeners.map((started) => started.url);
  core.apiAddress = core.options.ha?.apiAddr ?? addresses[0];
  core.ha?.advertise(addresses[0]);
  if (core.ha !== undefined) logger.info({ apiAddr: core.ha.address, disableClustering: config.disableClustering }, 'ha enabled');
  return {
    address: addresses[0],
    addresses,
    storageType: storageConfig.type,
    core,
    ...(dev !== undefined ? { dev } : {}),
    async close() {
      process.off('SIGHUP', reopenAudit);
      await Promise.all(listeners.map(closeListener));
      await core.autoUnseal?.stop();
      await core.sealServer();
      await core.seal.close();
      await sealMigration?.from?.close();
      await physical.close();
      logger.info({}, 'server stopped');
    },
  };
}

function devConfig(options: StartOptions): ServerConfig {
  return {
    storage: { type: 'inmem', settings: {} },
    listeners: [
      {
        type: 'tcp',
        address: options.devListenAddress ?? '127.0.0.1:8200',
        tlsDisable: true,
        tlsRequireAndVerifyClientCert: false,
        tlsDisableClientCerts: false,
      },
    ],
    defaultLeaseTtl: DEFAULT_LEASE_TTL,
    maxLeaseTtl: DEFAULT_LEASE_TTL,
    logLevel: 'info',
    // Vault's dev mode serves the UI too.
    ui: true,
    disableMlock: true,
    cacheSize: DEFAULT_CACHE_SIZE,
    disableCache: false,
    disableClustering: false,
    ignoredSettings: [],
    userLockout: {},
    sourceFiles: [],
    ...(options.devPluginDirectory !== undefined ? { pluginDirectory: options.devPluginDirectory } : {}),
  };
}

/** Initializes with one key share, unseals, and mounts KV v2 at `secret/`, as Vault's dev mode does. */
async function bootstrapDev(core: Core, rootTokenId: string | undefined): Promise<{ rootToken: string; unsealKey: string }> {
  const result = await core.initialize(1, 1, rootTokenId);
  await core.submitUnsealKey(result.keys_base64[0]);
  await core.mounts.enable('secret/', 'kv', { description: 'key/value secret storage', options: { version: '2' } });
  return { rootToken: result.root_token, unsealKey: result.keys_base64[0] };
}

async function openStorage(type: string, settings: Record<string, string>, logger: Logger, configPlugins: ConfigPluginOptions): Promise<ClosableStorage> {
  const plugin = builtinStorageBackends.get(type);
  if (plugin === undefined && namesExternalPlugin(settings)) return ExternalStorage.open(type, settings, configPlugins, logger);
  if (plugin === undefined) {
    throw new Error(`unknown storage type "${type}": use one of ${[...builtinStorageBackends.keys()].join(', ')}`);
  }
  for (const name of Object.keys(settings)) {
    if (!plugin.settings.includes(name)) {
      throw new Error(`storage "${type}": unknown setting "${name}"; known settings: ${plugin.settings.join(', ') || 'none'}`);
    }
  }
  return plugin.create(settings, { logger: logger.child({ storage: type }) });
}

/**
 * Starts one listener. Connections are accepted by a net or TLS server and
 * handed to a non-listening HTTP server, which moves a connection onto the
 * LIST method rewriter at its first LIST request.
 */
function listen(config: ListenerConfig, handler: ReturnType<typeof createRequestListener>): Promise<Listener> {
  const { host, port } = splitAddress(config.address);
  const http = createHttpServer(handler);
  http.keepAliveTimeout = 65_000;
  const sockets = new Set<Socket>();
  const handOver = createListAwareAcceptor(http);
  const accept = (socket: Socket): void => {
    // Node's HTTP server turns Nagle's algorithm off only on sockets it
    // accepts itself. These reach it from a net or TLS server, so turn it
    // off here, or each response's last segment waits for the client's
    // delayed ACK.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    handOver(socket);
  };
  const server = config.tlsDisable
    ? createNetServer(accept)
    : createTlsServer(
        {
          cert: readFileSync(config.tlsCertFile!),
          key: readFileSync(config.tlsKeyFile!),
          ...(config.tlsClientCaFile !== undefined ? { ca: readFileSync(config.tlsClientCaFile) } : {}),
          // Ask for a client certificate unless disabled; require it only when configured.
          requestCert: !config.tlsDisableClientCerts,
          rejectUnauthorized: config.tlsRequireAndVerifyClientCert,
        },
        accept,
      );

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = server.address() as AddressInfo;
      const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
      resolve({ server, http, sockets, url: `${config.tlsDisable ? 'http' : 'https'}://${shownHost}:${bound.port}` });
    });
  });
}

function splitAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
  if (match === null) throw new Error(`invalid listener address "${address}": expected host:port`);
  return { host: match[1], port: Number(match[2]) };
}

interface Listener {
  server: NetServer;
  http: HttpServer;
  /** Open connections, destroyed at close so keep-alive clients do not hold it up. */
  sockets: Set<Socket>;
  url: string;
}

function closeListener(listener: Listener): Promise<void> {
  return new Promise((resolve) => {
    listener.server.close(() => resolve());
    // The HTTP server does not listen, so this only stops its request timeout timer.
    listener.http.close();
    listener.http.closeAllConnections();
    for (const socket of listener.sockets) socket.destroy();
  });
}
