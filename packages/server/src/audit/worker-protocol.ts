/**
 * Messages between the audit broker and the audit worker thread. The broker
 * numbers the devices the worker hosts; entries and calls name them by that
 * number.
 */
import type { EntryKind } from './entry-format.js';
import type { AuditResponseInput } from './input.js';

/**
 * The built-in device types the worker hosts. The file device stays on the
 * request thread, because building its entries there (see
 * `serializeJsonEntry`) costs less than handing them to a thread and
 * waiting for its reply. Syslog stays there too, because its native addon
 * can be loaded by one thread only.
 */
export const THREADED_AUDIT_TYPES: readonly string[] = ['socket'];

/** Opens a built-in device in the worker with all of its options, common ones included. */
export interface OpenCall {
  method: 'open';
  device: number;
  /** The audit table path, for log lines. */
  path: string;
  type: string;
  options: Record<string, string>;
  salt: Uint8Array;
}

/** Closes, reopens (log rotation) or reads the sync count of a hosted device. */
export interface DeviceCall {
  method: 'close' | 'reopen' | 'syncCount';
  device: number;
}

export type WorkerCall = OpenCall | DeviceCall;

/** One entry to build and write to some of the hosted devices. */
export interface EntryItem {
  seq: number;
  kind: EntryKind;
  input: AuditResponseInput;
  /** The entry's time, in milliseconds since the epoch. */
  time: number;
  devices: number[];
}

export type ToWorker = { type: 'call'; id: number; call: WorkerCall } | { type: 'entries'; items: EntryItem[] };

/** The outcome of one entry: per device, in the order of its `devices`, `null` for written or the error message. */
export interface EntryResult {
  seq: number;
  errors: (string | null)[];
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export type FromWorker =
  | { type: 'result'; id: number; value?: unknown; error?: string }
  | { type: 'written'; results: EntryResult[] }
  | { type: 'log'; level: LogLevel; bindings: object; fields: object; message: string };
