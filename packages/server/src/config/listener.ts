/** Decoding of `listener "tcp"` stanzas. */
import type { LabeledBlock } from './blocks.js';
import type { Scope } from './scope.js';
import { unknownSetting } from './suggest.js';
import { decodeListenerTelemetry } from './telemetry.js';
import { DEFAULT_LISTENER_ADDRESS, type ListenerConfig } from './types.js';
import { ownEntry, readBoolean, readDuration, readHostPort, readString } from './values.js';

type ListenerSetter = (scope: Scope, key: string, value: unknown, listener: ListenerConfig) => void;

const LISTENER_SETTINGS: Record<string, ListenerSetter> = {
  // Vault takes the type from this setting when present, else from the label.
  type: () => undefined,
  address: (scope, key, value, listener) => {
    listener.address = readHostPort(scope, key, value);
  },
  tls_disable: (scope, key, value, listener) => {
    listener.tlsDisable = readBoolean(scope, key, value);
  },
  tls_cert_file: (scope, key, value, listener) => {
    listener.tlsCertFile = readString(scope, key, value);
  },
  tls_key_file: (scope, key, value, listener) => {
    listener.tlsKeyFile = readString(scope, key, value);
  },
  tls_client_ca_file: (scope, key, value, listener) => {
    listener.tlsClientCaFile = readString(scope, key, value);
  },
  tls_require_and_verify_client_cert: (scope, key, value, listener) => {
    listener.tlsRequireAndVerifyClientCert = readBoolean(scope, key, value);
  },
  tls_disable_client_certs: (scope, key, value, listener) => {
    listener.tlsDisableClientCerts = readBoolean(scope, key, value);
  },
  telemetry: (scope, key, value, listener) => {
    listener.unauthenticatedMetricsAccess = decodeListenerTelemetry(scope, key, value);
  },
};

/**
 * Listener settings Vault has that Coffer accepts, type-checks and ignores.
 * Each is harmless to ignore:
 * - `cluster_address`: the listen address of Vault's server-to-server cluster
 *   port. No listener is opened from it, and HA uses the top-level
 *   `cluster_addr`.
 * - `max_request_duration`: Vault's per-listener request timeout. Coffer does
 *   not apply it, so a slow request is not cut off.
 */
const IGNORED_LISTENER_SETTINGS: Record<string, (scope: Scope, key: string, value: unknown) => unknown> = {
  cluster_address: readHostPort,
  max_request_duration: readDuration,
};

/** The listener settings an unknown one is compared against for a suggestion. */
export const KNOWN_LISTENER_SETTINGS = [...Object.keys(LISTENER_SETTINGS), ...Object.keys(IGNORED_LISTENER_SETTINGS)];

/**
 * Decodes one listener stanza. Records the ignored settings it met in
 * `ignored` as `listener.<name>`.
 * @throws ConfigError for a type other than tcp, an unknown or ill-typed
 *   setting, TLS on without a certificate and key, or client certificates
 *   both required and disabled.
 */
export function decodeListener(scope: Scope, block: LabeledBlock, ignored: Set<string>): ListenerConfig {
  checkListenerType(scope, block);

  const listener: ListenerConfig = {
    type: 'tcp',
    address: DEFAULT_LISTENER_ADDRESS,
    tlsDisable: false,
    tlsRequireAndVerifyClientCert: false,
    tlsDisableClientCerts: false,
  };
  for (const [key, value] of Object.entries(block.body)) {
    const setter = ownEntry(LISTENER_SETTINGS, key);
    if (setter !== undefined) {
      setter(scope, key, value, listener);
      continue;
    }
    const ignoredReader = ownEntry(IGNORED_LISTENER_SETTINGS, key);
    if (ignoredReader !== undefined) {
      ignoredReader(scope, key, value);
      ignored.add(scope.settingName(key));
      continue;
    }
    throw unknownSetting(scope, key, KNOWN_LISTENER_SETTINGS);
  }

  checkListenerTls(scope, listener);
  return listener;
}

function checkListenerType(scope: Scope, block: LabeledBlock): void {
  const typeSetting = block.body.type;
  const type = typeSetting === undefined ? block.label : readString(scope, 'type', typeSetting);
  if (type.toLowerCase() === 'tcp') return;

  const detail = `unsupported listener type "${type}". Coffer supports only "tcp" listeners.`;
  if (typeSetting !== undefined) throw scope.fail('type', detail);
  throw scope.failStanza(detail);
}

function checkListenerTls(scope: Scope, listener: ListenerConfig): void {
  if (listener.tlsDisable) return;

  const on = `listener "tcp" on ${listener.address} has TLS on (Vault's default)`;
  const fix = 'Set tls_cert_file and tls_key_file, or set tls_disable = true to serve plain HTTP.';
  if (listener.tlsCertFile === undefined || listener.tlsCertFile === '') {
    throw scope.failStanza(`${on} but no "tls_cert_file". ${fix}`, 'listener.tls_cert_file');
  }
  if (listener.tlsKeyFile === undefined || listener.tlsKeyFile === '') {
    throw scope.failStanza(`${on} but no "tls_key_file". ${fix}`, 'listener.tls_key_file');
  }
  if (listener.tlsRequireAndVerifyClientCert && listener.tlsDisableClientCerts) {
    throw scope.failStanza(
      `"tls_require_and_verify_client_cert" and "tls_disable_client_certs" are both true in listener "tcp" on ${listener.address}, but a listener cannot require client certificates and refuse them. Set one of them to false.`,
      'listener.tls_disable_client_certs',
    );
  }
}
