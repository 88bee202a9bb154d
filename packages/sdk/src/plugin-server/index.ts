/**
 * The out-of-process plugin protocol: `serve` for plugin executables, and the
 * protocol pieces the host side in the server shares with it.
 */
export { serve, type ServeOptions } from './serve.js';
export {
  BACKEND_PROTOCOL_VERSION,
  CORE_PROTOCOL_VERSION,
  GRPC_OPTIONS,
  HEALTH_SERVICE_NAME,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  MULTIPLEX_ID_METADATA_KEY,
  PROTO_DIRECTORY,
  SETUP_CONFIG_KEYS,
  TLS_SERVER_NAME,
  callUnary,
  loadPluginProtocol,
  unaryHandler,
  type PluginProtocol,
} from './protocol.js';
export { formatHandshake, parseHandshake, type Handshake } from './handshake.js';
export { generateLaunchCertificate, toPem, type LaunchCertificate } from './certificate.js';
export { createStderrLogger, parseLogLevel, type LogLevel } from './stderr-logger.js';
export * from './messages.js';
export * from './database-wire.js';
export { entityFromWire, entityToWire, groupFromWire, groupToWire, ROOT_NAMESPACE_ID } from './identity-wire.js';
export { blobFromWire, blobToWire, type WireBlobInfo } from './seal-service.js';
export {
  errorFromWire,
  errorToWire,
  nanosecondsToSeconds,
  parseJsonObject,
  requestFromWire,
  requestToWire,
  responseFromWire,
  responseToWire,
  secondsToNanoseconds,
} from './wire.js';
