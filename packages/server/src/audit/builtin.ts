/**
 * The audit device types built into the server. Each is an ordinary plugin
 * built on `@coffer/sdk`.
 */
import { plugin as file } from '@coffer/audit-file';
import { plugin as socket } from '@coffer/audit-socket';
import { plugin as syslog } from '@coffer/audit-syslog';
import type { AuditPlugin } from '@coffer/sdk';

export const builtinAuditDevices: ReadonlyMap<string, AuditPlugin> = new Map([
  ['file', file],
  ['socket', socket],
  ['syslog', syslog],
]);
