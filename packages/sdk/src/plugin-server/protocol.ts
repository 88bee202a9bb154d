/**
 * The constants of the plugin protocol and the loader of its protobuf
 * definitions, shared by the plugin side (`serve`) and the host side in the
 * server. The `.proto` files ship with the SDK in its `proto/` folder.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** go-plugin's core protocol version, the first field of the handshake line. */
export const CORE_PROTOCOL_VERSION = 1;

/** Vault's backend protocol version that Coffer speaks, the second field of the handshake line. */
export const BACKEND_PROTOCOL_VERSION = 5;

/**
 * The environment variable and value that tell a plugin binary it was
 * started by a host. Both are Vault's, so a plugin built for Vault starts
 * under Coffer and the other way round. The cookie is a guard against
 * running a plugin by hand, not a security measure.
 */
export const MAGIC_COOKIE_KEY = 'VAULT_BACKEND_PLUGIN';
export const MAGIC_COOKIE_VALUE = '6669da05-b1c8-4f49-97d9-c8e5bed98e20';

/** The gRPC metadata key that names the backend instance of a multiplexed plugin. */
export const MULTIPLEX_ID_METADATA_KEY = 'multiplex_id';

/** The service name go-plugin hosts pass to the gRPC health check. */
export const HEALTH_SERVICE_NAME = 'plugin';

/** The TLS server name both sides use, since the certificates are made for `localhost`. */
export const TLS_SERVER_NAME = 'localhost';

/** The folder of the protocol's `.proto` files. */
export const PROTO_DIRECTORY = fileURLToPath(new URL('../../proto/', import.meta.url));

const PROTO_FILES = ['go_plugin.proto', 'grpc_health_v1.proto', 'vault_logical.proto', 'vault_multiplexing.proto', 'vault_backend.proto', 'coffer_audit.proto', 'coffer_database.proto', 'coffer_seal.proto', 'coffer_storage.proto'];

/**
 * Channel and server options of every plugin connection. Vault lifts gRPC's
 * 4 MiB message limit on both sides, so a large response is not cut off.
 */
export const GRPC_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 2 ** 31 - 1,
  'grpc.max_send_message_length': 2 ** 31 - 1,
  'grpc.ssl_target_name_override': TLS_SERVER_NAME,
  'grpc.default_authority': TLS_SERVER_NAME,
};

/** The services of the protocol, as gRPC client constructors with their service definitions. */
export interface PluginProtocol {
  Backend: grpc.ServiceClientConstructor;
  Storage: grpc.ServiceClientConstructor;
  SystemView: grpc.ServiceClientConstructor;
  Health: grpc.ServiceClientConstructor;
  GRPCBroker: grpc.ServiceClientConstructor;
  GRPCController: grpc.ServiceClientConstructor;
  GRPCStdio: grpc.ServiceClientConstructor;
  PluginMultiplexing: grpc.ServiceClientConstructor;
  PluginVersion: grpc.ServiceClientConstructor;
  /** Coffer's own service of audit plugins. */
  AuditDevice: grpc.ServiceClientConstructor;
  /** Coffer's own service of database plugins. */
  Database: grpc.ServiceClientConstructor;
  /** Coffer's own service of seal plugins. */
  Seal: grpc.ServiceClientConstructor;
  /** Coffer's own service of storage plugins; `Storage` is Vault's storage view for backends. */
  StorageBackend: grpc.ServiceClientConstructor;
}

let loaded: PluginProtocol | undefined;

/**
 * Loads the protocol's `.proto` files once per process. Decoded messages use
 * the field names of the files (snake case), int64 values as numbers, enum
 * values as their names, and every unset field at its default.
 */
export function loadPluginProtocol(): PluginProtocol {
  if (loaded !== undefined) return loaded;
  const definition = protoLoader.loadSync(PROTO_FILES, {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIRECTORY],
  });
  const root = grpc.loadPackageDefinition(definition);
  const service = (path: string): grpc.ServiceClientConstructor => {
    let node: unknown = root;
    for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
    if (typeof node !== 'function') throw new Error(`plugin protocol definitions lack the service "${path}"`);
    return node as grpc.ServiceClientConstructor;
  };
  loaded = {
    Backend: service('pb.Backend'),
    Storage: service('pb.Storage'),
    SystemView: service('pb.SystemView'),
    Health: service('grpc.health.v1.Health'),
    GRPCBroker: service('plugin.GRPCBroker'),
    GRPCController: service('plugin.GRPCController'),
    GRPCStdio: service('plugin.GRPCStdio'),
    PluginMultiplexing: service('pluginutil.multiplexing.PluginMultiplexing'),
    PluginVersion: service('logical.PluginVersion'),
    AuditDevice: service('coffer.audit.v1.AuditDevice'),
    Database: service('coffer.database.v1.Database'),
    Seal: service('coffer.seal.v1.Seal'),
    StorageBackend: service('coffer.storage.v1.StorageBackend'),
  };
  return loaded;
}

type UnaryMethod = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

/**
 * Calls a unary method of a client made from {@link loadPluginProtocol}'s
 * constructors and resolves to its reply.
 * @throws grpc.ServiceError when the call fails.
 */
export function callUnary<Reply>(
  client: grpc.Client,
  method: string,
  request: object,
  options: { metadata?: grpc.Metadata; deadline?: number } = {},
): Promise<Reply> {
  const call = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
  if (call === undefined) return Promise.reject(new Error(`the plugin protocol has no method "${method}"`));
  const callOptions: grpc.CallOptions = options.deadline !== undefined ? { deadline: options.deadline } : {};
  return new Promise((resolve, reject) => {
    call.call(client, request, options.metadata ?? new grpc.Metadata(), callOptions, (err, response) => {
      if (err !== null) reject(err);
      else resolve(response as Reply);
    });
  });
}

/**
 * Wraps an async function as a unary gRPC handler: its result is the reply,
 * and a thrown error fails the call with `status` (UNKNOWN unless the error
 * carries a gRPC `code`).
 */
export function unaryHandler<Request, Reply>(
  handle: (request: Request, call: grpc.ServerUnaryCall<Request, Reply>) => Promise<Reply>,
): grpc.handleUnaryCall<Request, Reply> {
  return (call, callback) => {
    handle(call.request, call).then(
      (reply) => callback(null, reply),
      (err: unknown) => {
        const code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : grpc.status.UNKNOWN;
        callback({ code, details: err instanceof Error ? err.message : String(err) });
      },
    );
  };
}

/**
 * Keys the host adds to `SetupArgs.config` next to the mount's options.
 * Vault sets the first three; Coffer adds the mount point, which its SDK
 * hands to the backend factory. A mount option may not use these names.
 */
export const SETUP_CONFIG_KEYS = {
  pluginName: 'plugin_name',
  /** "secret" or "auth". */
  pluginType: 'plugin_type',
  pluginVersion: 'plugin_version',
  mountPoint: 'coffer_mount_point',
} as const;
