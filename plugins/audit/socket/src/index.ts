/**
 * @coffer/audit-socket: sends audit entries to a TCP, UDP or Unix socket.
 *
 * Options:
 * - `address` (required): `host:port` for TCP and UDP (`[::1]:9090` for
 *   IPv6), or the socket file's path for `unix`.
 * - `socket_type` (default `tcp`): `tcp`, `udp` or `unix`.
 * - `write_timeout` (default `2s`): how long one write may take, connecting
 *   included, before it fails. A slow or dead peer therefore delays a request
 *   by at most this long, and the next write connects again. A timeout
 *   above the largest timer delay (about 24.8 days) is cut to that delay.
 *
 * The device connects on its first write, not when it is enabled.
 */
import { SDK_VERSION, type AuditDevice, type AuditPlugin } from '@coffer/sdk';
import { DatagramSocketAuditDevice } from './datagram-device.js';
import { parseDurationMilliseconds } from './duration.js';
import { StreamSocketAuditDevice } from './stream-device.js';

export { DatagramSocketAuditDevice } from './datagram-device.js';
export { StreamSocketAuditDevice, type StreamTarget } from './stream-device.js';
export { parseDurationMilliseconds } from './duration.js';

const DEFAULT_WRITE_TIMEOUT = '2s';

/**
 * The largest delay a Node.js timer accepts: 2^31-1 ms, about 24.8 days.
 * Node.js runs a timer with a longer delay after 1 ms, which would fail every write.
 */
const MAX_WRITE_TIMEOUT_MS = 2 ** 31 - 1;

/** The socket audit device type. */
export const plugin: AuditPlugin = {
  kind: 'audit',
  name: 'socket',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: ['address', 'socket_type', 'write_timeout'],
  async create(options, { logger }): Promise<AuditDevice> {
    const address = options.address?.trim() ?? '';
    if (address === '') throw new Error('missing required option "address"');
    const socketType = (options.socket_type?.trim() || 'tcp').toLowerCase();
    const timeout = parseWriteTimeout(options.write_timeout);
    const deviceLogger = logger.child({ audit: 'socket' });

    switch (socketType) {
      case 'unix':
        return new StreamSocketAuditDevice({ type: 'unix', path: address }, timeout, deviceLogger);
      case 'tcp': {
        const { host, port } = splitHostPort(address);
        return new StreamSocketAuditDevice({ type: 'tcp', host, port }, timeout, deviceLogger);
      }
      case 'udp': {
        const { host, port } = splitHostPort(address);
        return new DatagramSocketAuditDevice(host, port, timeout, deviceLogger);
      }
      default:
        throw new Error(`invalid option "socket_type" "${options.socket_type}": use "tcp", "udp" or "unix"`);
    }
  },
};

function parseWriteTimeout(raw: string | undefined): number {
  const text = raw === undefined || raw.trim() === '' ? DEFAULT_WRITE_TIMEOUT : raw;
  const milliseconds = parseDurationMilliseconds(text);
  if (milliseconds === null || milliseconds < 1) {
    throw new Error(`invalid option "write_timeout" "${raw}": expected a positive duration such as "2s" or "500ms"`);
  }
  return Math.min(milliseconds, MAX_WRITE_TIMEOUT_MS);
}

function splitHostPort(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = match === null ? 0 : Number(match[3]);
  if (match === null || port < 1 || port > 65535) {
    throw new Error(`invalid option "address" "${address}": expected host:port, such as "127.0.0.1:9090"`);
  }
  return { host: match[1] ?? match[2], port };
}
