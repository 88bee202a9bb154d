/**
 * @coffer/audit-syslog: sends audit entries to the local syslog daemon.
 *
 * Options:
 * - `facility` (default `AUTH`): a syslog facility name such as `AUTH`,
 *   `AUTHPRIV`, `DAEMON` or `LOCAL0` to `LOCAL7`, in any case.
 * - `tag` (default `coffer`): the program name in each message.
 * - `socket_path` (default `/dev/log`): the daemon's Unix datagram socket.
 *
 * Every entry is sent at severity INFO, one message per entry.
 */
import { SDK_VERSION, type AuditDevice, type AuditPlugin } from '@coffer/sdk';
import { FACILITIES } from './rfc3164.js';
import { SyslogAuditDevice } from './syslog-device.js';

export { SyslogAuditDevice, WRITE_TIMEOUT_MS, type SyslogSettings } from './syslog-device.js';
export { FACILITIES, formatMessage } from './rfc3164.js';

const DEFAULT_SOCKET_PATH = '/dev/log';

/** RFC 3164 allows at most 32 alphanumeric characters in a tag; `-`, `_`, `.` and `/` are common in practice. */
const TAG_PATTERN = /^[\w./-]{1,32}$/;

/** The syslog audit device type. */
export const plugin: AuditPlugin = {
  kind: 'audit',
  name: 'syslog',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: ['facility', 'tag', 'socket_path'],
  async create(options, { logger }): Promise<AuditDevice> {
    const facilityName = (options.facility?.trim() || 'AUTH').toUpperCase();
    const facility = FACILITIES[facilityName];
    if (facility === undefined) {
      throw new Error(`invalid option "facility" "${options.facility}": use one of ${Object.keys(FACILITIES).join(', ')}`);
    }
    const tag = options.tag?.trim() || 'coffer';
    if (!TAG_PATTERN.test(tag)) {
      throw new Error(`invalid option "tag" "${options.tag}": use 1 to 32 letters, digits, "_", "-", "." or "/"`);
    }
    const socketPath = options.socket_path?.trim() || DEFAULT_SOCKET_PATH;
    return SyslogAuditDevice.open({ socketPath, facility, tag }, logger.child({ audit: 'syslog' }));
  },
};
