/**
 * The handshake line a plugin prints on standard output once it listens:
 *
 *     CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT
 *
 * for example `1|5|unix|/tmp/plugin123/plugin.sock|grpc|MIIB...`. The last
 * field is the DER bytes of the plugin's TLS server certificate in standard
 * base64 without `=` padding, or empty when the host sent no client
 * certificate. go-plugin defines the format; a seventh field, which
 * go-plugin uses to offer connection multiplexing, is ignored.
 */
import { X509Certificate } from 'node:crypto';
import { CORE_PROTOCOL_VERSION } from './protocol.js';

/** The parsed handshake line. */
export interface Handshake {
  coreVersion: number;
  appVersion: number;
  network: 'unix' | 'tcp';
  /** A socket path for `unix`, `host:port` for `tcp`. */
  address: string;
  /** `grpc`; go-plugin's older `netrpc` is rejected at parsing. */
  protocol: 'grpc';
  /** The DER bytes of the plugin's server certificate, when it serves TLS. */
  serverCertificate?: Buffer;
}

/** Formats the line a plugin prints, without the trailing newline. */
export function formatHandshake(handshake: Handshake): string {
  const certificate = handshake.serverCertificate?.toString('base64').replace(/=+$/, '') ?? '';
  return [handshake.coreVersion, handshake.appVersion, handshake.network, handshake.address, handshake.protocol, certificate].join('|');
}

/** go-plugin ignores a sixth field of 50 characters or fewer, which older plugins filled with other data. */
const MIN_CERTIFICATE_FIELD_LENGTH = 51;

/**
 * Parses and checks a handshake line.
 * @throws Error with a message naming the wrong field and the expected value.
 */
export function parseHandshake(line: string, expectedAppVersion: number): Handshake {
  const fields = line.trim().split('|');
  if (fields.length < 4) {
    throw new Error(`malformed handshake line ${JSON.stringify(truncate(line))}: expected "core-version|app-version|network|address|protocol|server-cert"`);
  }
  const [core, app, network, address, protocol = 'netrpc', certificateField = ''] = fields;

  if (core !== String(CORE_PROTOCOL_VERSION)) {
    throw new Error(`unsupported core protocol version ${JSON.stringify(core)} in the handshake: expected ${CORE_PROTOCOL_VERSION}`);
  }
  if (!/^\d+$/.test(app) || Number(app) !== expectedAppVersion) {
    throw new Error(`unsupported protocol version ${JSON.stringify(app)} in the handshake: expected ${expectedAppVersion}`);
  }
  if (network !== 'unix' && network !== 'tcp') {
    throw new Error(`unsupported network ${JSON.stringify(network)} in the handshake: expected "unix" or "tcp"`);
  }
  if (address === '') throw new Error('empty address in the handshake');
  if (protocol !== 'grpc') {
    throw new Error(`unsupported protocol ${JSON.stringify(protocol)} in the handshake: only "grpc" is supported`);
  }

  const handshake: Handshake = { coreVersion: CORE_PROTOCOL_VERSION, appVersion: expectedAppVersion, network, address, protocol };
  if (certificateField.length >= MIN_CERTIFICATE_FIELD_LENGTH) handshake.serverCertificate = parseCertificateField(certificateField);
  return handshake;
}

function parseCertificateField(field: string): Buffer {
  if (!/^[A-Za-z0-9+/]+$/.test(field)) throw new Error('invalid server certificate in the handshake: expected base64 without padding');
  const der = Buffer.from(field, 'base64');
  try {
    new X509Certificate(der);
  } catch (err) {
    throw new Error(`invalid server certificate in the handshake: ${(err as Error).message}`);
  }
  return der;
}

function truncate(line: string): string {
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}
