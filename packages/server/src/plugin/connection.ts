/**
 * The host's gRPC connection to one launched plugin process: the clients of
 * its services, the broker stream, and the brokered servers the host offers
 * each mount.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { callUnary, GRPC_OPTIONS, HEALTH_SERVICE_NAME, loadPluginProtocol, type WireConnInfo } from '@coffer/sdk';
import { storageService, systemViewService, type MountHostServices } from './broker-services.js';
import type { LaunchedPlugin } from './runner.js';

const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': 2 ** 31 - 1,
  'grpc.max_send_message_length': 2 ** 31 - 1,
};

/** Characters of an unfinished output line the host keeps before logging it as it is. */
const MAX_PENDING_OUTPUT = 64 * 1024;

/** How long the plugin may take to respond to the controller's Shutdown, in milliseconds. */
const SHUTDOWN_CALL_MS = 2000;

/** A brokered server for one mount. */
export interface OfferedServices {
  brokerId: number;
  close(): void;
}

export interface ConnectOptions {
  /** The plugin's catalog name, for messages. */
  name: string;
  /** Deadline of the first health check, as a time in milliseconds since the epoch. */
  deadline: number;
  /** Receives each line of output a Go plugin streams over GRPCStdio. */
  onOutput(stream: 'stdout' | 'stderr', line: string): void;
}

type DuplexMethod = () => grpc.ClientDuplexStream<WireConnInfo, WireConnInfo>;
type StreamMethod = (request: object) => grpc.ClientReadableStream<{ channel?: string; data?: Buffer }>;

export class PluginConnection {
  private nextBrokerId = 0;
  private readonly servers = new Set<grpc.Server>();
  private closed = false;

  private constructor(
    private readonly launched: LaunchedPlugin,
    /** The `pb.Backend` client; every other client shares its channel. */
    readonly backend: grpc.Client,
    private readonly controller: grpc.Client,
    private readonly brokerStream: grpc.ClientDuplexStream<WireConnInfo, WireConnInfo>,
    private readonly stdioStream: grpc.ClientReadableStream<unknown> | undefined,
    /** Whether one process may serve several mounts. */
    readonly multiplexed: boolean,
    /** The `coffer.audit.v1.AuditDevice` client, for an audit plugin. */
    readonly audit: grpc.Client,
    /** The `coffer.database.v1.Database` client, for a database plugin. */
    readonly database: grpc.Client,
  ) {}

  /**
   * Connects over mutual TLS, checks the plugin's health and queries whether
   * it multiplexes.
   * @throws Error naming the plugin when it cannot be reached or reports unhealthy.
   */
  static async connect(launched: LaunchedPlugin, options: ConnectOptions): Promise<PluginConnection> {
    const protocol = loadPluginProtocol();
    const { hostCertificate } = launched;
    const credentials = grpc.credentials.createSsl(
      Buffer.from(launched.pluginCertificatePem),
      Buffer.from(hostCertificate.privateKeyPem),
      Buffer.from(hostCertificate.certificatePem),
    );
    const backend = new protocol.Backend(`unix://${launched.handshake.address}`, credentials, GRPC_OPTIONS);
    const shared = { ...GRPC_OPTIONS, channelOverride: backend.getChannel() };
    const health = new protocol.Health('plugin', credentials, shared);
    const controller = new protocol.GRPCController('plugin', credentials, shared);
    const broker = new protocol.GRPCBroker('plugin', credentials, shared);
    const stdio = new protocol.GRPCStdio('plugin', credentials, shared);
    const multiplexing = new protocol.PluginMultiplexing('plugin', credentials, shared);
    const audit = new protocol.AuditDevice('plugin', credentials, shared);
    const database = new protocol.Database('plugin', credentials, shared);

    try {
      const reply = await callUnary<{ status?: string }>(health, 'Check', { service: HEALTH_SERVICE_NAME }, { deadline: options.deadline });
      if (reply.status !== 'SERVING') throw new Error(`health check returned status ${reply.status ?? 'UNKNOWN'}, expected SERVING`);
      const multiplexed = await supportsMultiplexing(multiplexing, options.deadline);
      const brokerStream = (broker as unknown as { StartStream: DuplexMethod }).StartStream();
      // The plugin sends connection details only for services it offers, and this host requests none.
      brokerStream.on('data', () => {});
      brokerStream.on('error', () => {});
      const stdioStream = openStdio(stdio, options.onOutput);
      return new PluginConnection(launched, backend, controller, brokerStream, stdioStream, multiplexed, audit, database);
    } catch (err) {
      backend.close();
      throw new Error(`plugin "${options.name}" could not be reached over gRPC: ${(err as Error).message}`);
    }
  }

  /**
   * Serves the host's storage and system view for one mount on a new socket
   * and sends its address down the broker stream under a fresh broker ID.
   */
  async offer(services: MountHostServices): Promise<OfferedServices> {
    const protocol = loadPluginProtocol();
    const brokerId = ++this.nextBrokerId;
    const server = new grpc.Server(SERVER_OPTIONS);
    server.addService(protocol.Storage.service, storageService(services.storage));
    server.addService(protocol.SystemView.service, systemViewService(services));

    const { hostCertificate } = this.launched;
    const credentials = grpc.ServerCredentials.createSsl(
      Buffer.from(this.launched.pluginCertificatePem),
      [{ private_key: Buffer.from(hostCertificate.privateKeyPem), cert_chain: Buffer.from(hostCertificate.certificatePem) }],
      true,
    );
    const address = join(this.launched.directory, `broker-${brokerId}-${randomBytes(4).toString('hex')}.sock`);
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix://${address}`, credentials, (err) => (err === null ? resolve() : reject(err)));
    });
    this.servers.add(server);
    this.brokerStream.write({ service_id: brokerId, network: 'unix', address } satisfies WireConnInfo);
    return {
      brokerId,
      close: () => {
        this.servers.delete(server);
        server.forceShutdown();
      },
    };
  }

  /** Asks the plugin to exit, then closes every client and brokered server. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    try {
      await callUnary(this.controller, 'Shutdown', {}, { deadline: Date.now() + SHUTDOWN_CALL_MS });
    } catch {
      // The process may be gone or hung; the runner kills it after its grace period.
    }
    this.close();
  }

  /** Closes every client and brokered server without asking the plugin. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stdioStream?.cancel();
    this.brokerStream.cancel();
    for (const server of this.servers) server.forceShutdown();
    this.servers.clear();
    this.backend.close();
  }
}

/** Returns whether the plugin multiplexes; one without the multiplexing service serves one mount per process. */
async function supportsMultiplexing(client: grpc.Client, deadline: number): Promise<boolean> {
  try {
    const reply = await callUnary<{ supported?: boolean }>(client, 'MultiplexingSupport', {}, { deadline });
    return reply.supported === true;
  } catch (err) {
    if ((err as grpc.ServiceError).code === grpc.status.UNIMPLEMENTED) return false;
    throw err;
  }
}

/**
 * Reads the output a Go plugin streams after its handshake and splits it
 * into lines. Plugins that do not implement GRPCStdio end the stream with
 * UNIMPLEMENTED, which is ignored.
 */
function openStdio(client: grpc.Client, onOutput: ConnectOptions['onOutput']): grpc.ClientReadableStream<unknown> {
  const stream = (client as unknown as { StreamStdio: StreamMethod }).StreamStdio({});
  const pending = { stdout: '', stderr: '' };
  stream.on('data', (chunk: { channel?: string; data?: Buffer }) => {
    const channel = chunk.channel === 'STDERR' ? 'stderr' : 'stdout';
    const lines = (pending[channel] + (chunk.data ?? Buffer.alloc(0)).toString('utf8')).split('\n');
    pending[channel] = lines.pop() ?? '';
    // A plugin that never ends its line must not make the host buffer without bound.
    if (pending[channel].length > MAX_PENDING_OUTPUT) {
      lines.push(pending[channel]);
      pending[channel] = '';
    }
    for (const line of lines) onOutput(channel, line);
  });
  stream.on('error', () => {});
  return stream;
}
