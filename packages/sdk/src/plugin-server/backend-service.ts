/**
 * The plugin side of the `pb.Backend` service: creates a backend instance per
 * mount at Setup and routes every later call to the instance named by the
 * call's `multiplex_id` metadata.
 */
import * as grpc from '@grpc/grpc-js';
import type { BackendConfig, LogicalBackend } from '../logical.js';
import type { Logger } from '../logger.js';
import { isCofferError } from '../errors.js';
import type { AuthPlugin, SecretsPlugin } from '../plugin.js';
import type { PluginBroker } from './broker.js';
import { RemoteStorage, RemoteSystemView } from './host-services.js';
import { BACKEND_TYPE, type WireHandleRequestArgs, type WireSetupArgs } from './messages.js';
import { MULTIPLEX_ID_METADATA_KEY, SETUP_CONFIG_KEYS, unaryHandler, type PluginProtocol } from './protocol.js';
import { errorToWire, requestFromWire, responseToWire } from './wire.js';

/** The instance ID used when the host sends no multiplex ID, as Vault's SDK names it. */
const SINGLE_INSTANCE_ID = 'single';

const RESERVED_CONFIG_KEYS = new Set<string>(Object.values(SETUP_CONFIG_KEYS));

interface BackendInstance {
  backend: LogicalBackend;
  storage: RemoteStorage;
  system: RemoteSystemView;
  /** Clients of the host's brokered services, closed with the instance. */
  hostClients: grpc.Client[];
}

export interface BackendServiceOptions {
  plugin: SecretsPlugin | AuthPlugin;
  protocol: PluginProtocol;
  broker: PluginBroker;
  /** TLS credentials for dialing the host's brokered services. */
  hostCredentials: grpc.ChannelCredentials;
  logger: Logger;
}

function statusError(code: grpc.status, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export class BackendService {
  private readonly instances = new Map<string, BackendInstance>();

  constructor(private readonly options: BackendServiceOptions) {}

  /** Returns the gRPC handlers of `pb.Backend`. */
  implementation(): grpc.UntypedServiceImplementation {
    return {
      Setup: unaryHandler((args: WireSetupArgs, call) => this.setup(args, call.metadata)),
      HandleRequest: unaryHandler((args: WireHandleRequestArgs, call) => this.handleRequest(args, call.metadata)),
      HandleExistenceCheck: unaryHandler((args: WireHandleRequestArgs, call) => this.handleExistenceCheck(args, call.metadata)),
      SpecialPaths: unaryHandler(async (_args: object, call) => {
        const paths = this.instance(call.metadata).backend.specialPaths();
        return { paths: { root: paths.root, unauthenticated: paths.unauthenticated } };
      }),
      Initialize: unaryHandler(async (_args: object, call) => {
        try {
          await this.instance(call.metadata).backend.initialize?.();
          return {};
        } catch (err) {
          this.logFailure(err, 'initialize failed');
          return { err: errorToWire(err) };
        }
      }),
      InvalidateKey: unaryHandler(async (args: { key?: string }, call) => {
        this.instance(call.metadata).backend.invalidate?.(args.key ?? '');
        return {};
      }),
      Cleanup: unaryHandler((_args: object, call) => this.cleanup(call.metadata)),
      Type: unaryHandler(async (_args: object, call) => {
        const instance = this.instances.get(instanceId(call.metadata));
        const backendType = instance?.backend.backendType ?? (this.options.plugin.kind === 'auth' ? 'credential' : 'logical');
        return { type: BACKEND_TYPE[backendType] };
      }),
    };
  }

  /** Closes every connection to the host, for shutdown. */
  close(): void {
    for (const instance of this.instances.values()) closeClients(instance.hostClients);
    this.instances.clear();
  }

  private async setup(args: WireSetupArgs, metadata: grpc.Metadata): Promise<{ err: string }> {
    const id = instanceId(metadata);
    const { plugin, protocol, broker, hostCredentials } = this.options;
    const storageClient = await broker.dial(args.broker_id ?? 0, protocol.Storage, hostCredentials);
    const systemClient = new protocol.SystemView('broker', hostCredentials, { channelOverride: storageClient.getChannel() });
    const hostClients = [storageClient, systemClient];
    try {
      const system = new RemoteSystemView(systemClient);
      await system.refresh(true);
      const storage = new RemoteStorage(storageClient);
      const settings = args.config ?? {};
      const mountPoint = settings[SETUP_CONFIG_KEYS.mountPoint] ?? '';
      const config: BackendConfig = {
        storage,
        system,
        logger: this.options.logger.child({ mount: mountPoint }),
        options: Object.fromEntries(Object.entries(settings).filter(([key]) => !RESERVED_CONFIG_KEYS.has(key))),
        mountPoint,
      };
      const backend = await plugin.factory(config);
      const expectedType = plugin.kind === 'auth' ? 'credential' : 'logical';
      if (backend.backendType !== expectedType) {
        throw new Error(`plugin "${plugin.name}" is of kind "${plugin.kind}" but its factory returned a "${backend.backendType}" backend`);
      }
      const previous = this.instances.get(id);
      if (previous !== undefined) closeClients(previous.hostClients);
      this.instances.set(id, { backend, storage, system, hostClients });
      return { err: '' };
    } catch (err) {
      closeClients(hostClients);
      this.logFailure(err, 'setup failed');
      return { err: err instanceof Error ? err.message : String(err) };
    }
  }

  private async handleRequest(args: WireHandleRequestArgs, metadata: grpc.Metadata): Promise<object> {
    const instance = this.instance(metadata);
    try {
      await instance.system.refresh();
      const request = requestFromWire(args.request ?? {}, instance.storage);
      const response = await instance.backend.handleRequest(request);
      return { response: responseToWire(response) };
    } catch (err) {
      this.logFailure(err, 'request failed', args);
      return { err: errorToWire(err) };
    }
  }

  private async handleExistenceCheck(args: WireHandleRequestArgs, metadata: grpc.Metadata): Promise<object> {
    const instance = this.instance(metadata);
    try {
      const request = requestFromWire(args.request ?? {}, instance.storage);
      const result = await instance.backend.handleExistenceCheck(request);
      return { check_found: result.checkFound, exists: result.exists };
    } catch (err) {
      this.logFailure(err, 'existence check failed', args);
      return { err: errorToWire(err) };
    }
  }

  private async cleanup(metadata: grpc.Metadata): Promise<object> {
    const id = instanceId(metadata);
    const instance = this.instance(metadata);
    this.instances.delete(id);
    try {
      await instance.backend.cleanup?.();
    } catch (err) {
      this.logFailure(err, 'cleanup failed');
    } finally {
      closeClients(instance.hostClients);
    }
    return {};
  }

  private instance(metadata: grpc.Metadata): BackendInstance {
    const id = instanceId(metadata);
    const instance = this.instances.get(id);
    if (instance === undefined) {
      throw statusError(grpc.status.FAILED_PRECONDITION, `no backend instance for multiplex ID "${id}": the host must call Setup first`);
    }
    return instance;
  }

  /** Logs a failure the host will only see as "internal error"; client errors are the caller's business. */
  private logFailure(err: unknown, message: string, args?: WireHandleRequestArgs): void {
    if (isCofferError(err) && err.status < 500) return;
    const fields: Record<string, unknown> = { err: err instanceof Error ? err.message : String(err) };
    if (args?.request !== undefined && args.request !== null) {
      fields.operation = args.request.operation;
      fields.path = args.request.path;
      fields.mount = args.request.mount_point;
    }
    this.options.logger.error(fields, message);
  }
}

function instanceId(metadata: grpc.Metadata): string {
  const values = metadata.get(MULTIPLEX_ID_METADATA_KEY);
  const id = values.length > 0 ? String(values[0]) : '';
  return id === '' ? SINGLE_INSTANCE_ID : id;
}

function closeClients(clients: grpc.Client[]): void {
  // The first client owns the channel; the others share it.
  clients[0]?.close();
}
