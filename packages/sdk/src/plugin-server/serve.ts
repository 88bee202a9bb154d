/**
 * `serve`: turns a secrets engine or auth method into a plugin executable
 * that Coffer, Vault or any other host of Vault's backend protocol version 5
 * can start, and an audit device, seal or storage backend into one that
 * Coffer can start. See docs/plugins/protocol.md for the protocol, and
 * docs/plugins/audit.md, seal.md and storage.md for Coffer's own services.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import type { AuditPlugin, AuthPlugin, DatabasePlugin, SecretsPlugin, StoragePlugin } from '../plugin.js';
import type { SealPlugin } from '../seal.js';
import { AuditService } from './audit-service.js';
import { BackendService } from './backend-service.js';
import { DatabaseService } from './database-service.js';
import { PluginBroker } from './broker.js';
import { generateLaunchCertificate } from './certificate.js';
import { formatHandshake } from './handshake.js';
import {
  BACKEND_PROTOCOL_VERSION,
  CORE_PROTOCOL_VERSION,
  HEALTH_SERVICE_NAME,
  loadPluginProtocol,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  type PluginProtocol,
} from './protocol.js';
import { SealService } from './seal-service.js';
import { createStderrLogger, parseLogLevel } from './stderr-logger.js';
import { StorageService } from './storage-service.js';

export interface ServeOptions {
  /**
   * The logger backends receive. Default: JSON lines on standard error at
   * the level in `COFFER_PLUGIN_LOG_LEVEL`, else `info`.
   */
  logger?: Logger;
  /**
   * Exit the process once the host shuts the plugin down. Default true, so
   * that a timer or socket the plugin left open cannot keep it running.
   */
  exitOnShutdown?: boolean;
}

/** How often the plugin checks that its host is still alive, in milliseconds. */
const PARENT_CHECK_INTERVAL_MS = 2000;

/** How long a graceful gRPC shutdown may take before open calls are cut, in milliseconds. */
const SHUTDOWN_GRACE_MS = 2000;

/** The plugins `serve` runs out of process. */
type ServablePlugin = SecretsPlugin | AuthPlugin | AuditPlugin | DatabasePlugin | SealPlugin | StoragePlugin;

const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': 2 ** 31 - 1,
  'grpc.max_send_message_length': 2 ** 31 - 1,
};

/**
 * Serves `plugin` over the plugin protocol until the host shuts it down.
 * Call it from the plugin's main module:
 *
 * ```ts
 * import { serve } from '@coffer/sdk';
 * import { plugin } from './plugin.js';
 * await serve(plugin);
 * ```
 *
 * Started by hand, without the host's magic cookie, it prints an
 * explanation on standard error and sets exit code 1.
 *
 * @throws Error when `plugin` is not a secrets engine, auth method, audit
 *   device, database plugin, seal or storage backend.
 */
export async function serve(plugin: ServablePlugin, options: ServeOptions = {}): Promise<void> {
  const kinds = ['secrets', 'auth', 'audit', 'database', 'seal', 'storage'];
  if (!kinds.includes(plugin.kind)) {
    throw new Error(`serve() takes a plugin of kind ${kinds.join(', ')}, not one of kind "${(plugin as { kind: string }).kind}"`);
  }
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    // Seals and storage backends are named in the server's config file; the other kinds in its catalog.
    const host =
      plugin.kind === 'seal' || plugin.kind === 'storage'
        ? `a Coffer server that names it in a ${plugin.kind} stanza of its configuration`
        : 'a Coffer or Vault server that has it in its plugin catalog';
    process.stderr.write(`${plugin.name} is a Coffer plugin. It is started by ${host}, not run directly.\n`);
    process.exitCode = 1;
    return;
  }
  const versionProblem = checkProtocolVersions(process.env.PLUGIN_PROTOCOL_VERSIONS);
  if (versionProblem !== undefined) {
    process.stderr.write(`${plugin.name}: ${versionProblem}\n`);
    process.exitCode = 1;
    return;
  }

  const logger = options.logger ?? createStderrLogger(parseLogLevel(process.env.COFFER_PLUGIN_LOG_LEVEL) ?? 'info', { plugin: plugin.name });
  try {
    const stopped = await startServing(plugin, logger);
    await stopped;
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'plugin failed to start');
    process.exitCode = 1;
    return;
  }
  if (options.exitOnShutdown !== false) process.exit(0);
}

/**
 * Checks the host's offered versions, a comma-separated list such as "4,5".
 * go-plugin serves the newest shared version; this SDK speaks only version 5.
 * Returns a message for the operator, or `undefined` when version 5 is offered.
 */
function checkProtocolVersions(offered: string | undefined): string | undefined {
  if (offered === undefined || offered.trim() === '') return undefined;
  const versions = offered.split(',').map((version) => version.trim());
  if (versions.includes(String(BACKEND_PROTOCOL_VERSION))) return undefined;
  return `the host offers plugin protocol versions ${offered}, but this plugin speaks only version ${BACKEND_PROTOCOL_VERSION}; upgrade the host`;
}

interface Listening {
  address: string;
  /** Removes the socket, and the folder when this process made it. */
  removeSocket(): void;
}

function listenAddress(): Listening {
  const hostDirectory = process.env.PLUGIN_UNIX_SOCKET_DIR;
  const directory = hostDirectory !== undefined && hostDirectory !== '' ? hostDirectory : mkdtempSync(join(tmpdir(), 'plugin'));
  const address = join(directory, `plugin-${randomBytes(6).toString('hex')}.sock`);
  return {
    address,
    removeSocket() {
      rmSync(hostDirectory === directory ? address : directory, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the gRPC server, prints the handshake line and returns a promise
 * that resolves once the server has stopped.
 */
async function startServing(plugin: ServablePlugin, logger: Logger): Promise<Promise<void>> {
  const protocol = loadPluginProtocol();
  const clientCertificate = process.env.PLUGIN_CLIENT_CERT;
  const certificate = clientCertificate !== undefined && clientCertificate !== '' ? await generateLaunchCertificate() : undefined;

  // With automatic mutual TLS each side trusts exactly the other's certificate.
  const serverCredentials =
    certificate === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(
          Buffer.from(clientCertificate!),
          [{ private_key: Buffer.from(certificate.privateKeyPem), cert_chain: Buffer.from(certificate.certificatePem) }],
          true,
        );
  const hostCredentials =
    certificate === undefined
      ? grpc.credentials.createInsecure()
      : grpc.credentials.createSsl(Buffer.from(clientCertificate!), Buffer.from(certificate.privateKeyPem), Buffer.from(certificate.certificatePem));

  const broker = new PluginBroker();
  const server = new grpc.Server(SERVER_OPTIONS);
  let stop: () => void = () => {};
  const streams = addCoreServices(server, protocol, broker, plugin, () => stop());
  // An audit plugin serves Coffer's audit service instead of Vault's backend.
  let closeService: () => Promise<void>;
  if (plugin.kind === 'audit') {
    const audit = new AuditService(plugin, logger);
    server.addService(protocol.AuditDevice.service, audit.implementation());
    closeService = () => audit.close();
  } else if (plugin.kind === 'database') {
    const database = new DatabaseService(plugin, logger);
    server.addService(protocol.Database.service, database.implementation());
    closeService = () => database.close();
  } else if (plugin.kind === 'seal') {
    const seal = new SealService(plugin, logger);
    server.addService(protocol.Seal.service, seal.implementation());
    closeService = () => seal.close();
  } else if (plugin.kind === 'storage') {
    const storage = new StorageService(plugin, logger);
    server.addService(protocol.StorageBackend.service, storage.implementation());
    closeService = () => storage.close();
  } else {
    const backends = new BackendService({ plugin, protocol, broker, hostCredentials, logger });
    server.addService(protocol.Backend.service, backends.implementation());
    closeService = async () => backends.close();
  }

  const listening = listenAddress();
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix://${listening.address}`, serverCredentials, (err) => (err === null ? resolve() : reject(err)));
  });

  const handshake = {
    coreVersion: CORE_PROTOCOL_VERSION,
    appVersion: BACKEND_PROTOCOL_VERSION,
    network: 'unix' as const,
    address: listening.address,
    protocol: 'grpc' as const,
    ...(certificate !== undefined ? { serverCertificate: certificate.certificateDer } : {}),
  };
  process.stdout.write(`${formatHandshake(handshake)}\n`);

  return new Promise<void>((resolve) => {
    let stopping = false;
    const parentId = process.ppid;
    const parentCheck = setInterval(() => {
      if (process.ppid !== parentId) {
        logger.warn({ parentId }, 'host process exited; stopping');
        stop();
      }
    }, PARENT_CHECK_INTERVAL_MS);
    parentCheck.unref();
    // go-plugin plugins ignore interrupts: Ctrl-C reaches the whole process
    // group, and the host decides when its plugins stop.
    const ignoreInterrupt = (): void => logger.debug({}, 'interrupt ignored; the host stops the plugin');
    process.on('SIGINT', ignoreInterrupt);
    process.once('SIGTERM', () => stop());

    stop = () => {
      if (stopping) return;
      stopping = true;
      clearInterval(parentCheck);
      process.off('SIGINT', ignoreInterrupt);
      for (const stream of streams) stream.end();
      broker.close();
      const force = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(force);
        listening.removeSocket();
        // Audit devices flush and release their destinations before the process exits.
        void closeService().then(resolve, resolve);
      });
    };
  });
}

/**
 * Adds go-plugin's services and the health, multiplexing and version
 * services. Returns the set of open server streams, which must be ended
 * before the server can stop.
 */
function addCoreServices(
  server: grpc.Server,
  protocol: PluginProtocol,
  broker: PluginBroker,
  plugin: ServablePlugin,
  stop: () => void,
): Set<grpc.ServerWritableStream<unknown, unknown>> {
  const streams = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  const keepOpen = (call: grpc.ServerWritableStream<unknown, unknown>): void => {
    streams.add(call);
    call.on('cancelled', () => streams.delete(call));
  };

  server.addService(protocol.Health.service, {
    Check: (call: grpc.ServerUnaryCall<{ service?: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const service = call.request.service ?? '';
      if (service === '' || service === HEALTH_SERVICE_NAME) callback(null, { status: 'SERVING' });
      else callback({ code: grpc.status.NOT_FOUND, details: `unknown service "${service}"` });
    },
    Watch: (call: grpc.ServerWritableStream<{ service?: string }, unknown>) => {
      const service = call.request.service ?? '';
      call.write({ status: service === '' || service === HEALTH_SERVICE_NAME ? 'SERVING' : 'SERVICE_UNKNOWN' });
      keepOpen(call);
    },
  });
  server.addService(protocol.GRPCBroker.service, { StartStream: broker.startStream });
  server.addService(protocol.GRPCController.service, {
    Shutdown: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      callback(null, {});
      setImmediate(stop);
    },
  });
  server.addService(protocol.GRPCStdio.service, { StreamStdio: keepOpen });
  server.addService(protocol.PluginMultiplexing.service, {
    MultiplexingSupport: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      callback(null, { supported: true });
    },
  });
  server.addService(protocol.PluginVersion.service, {
    Version: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      callback(null, { plugin_version: plugin.version.startsWith('v') ? plugin.version : `v${plugin.version}` });
    },
  });
  return streams;
}
