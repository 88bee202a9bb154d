/**
 * The audit worker thread: hosts built-in audit devices (the broker sends
 * it the socket devices) and builds, HMACs, serializes and writes their
 * entries, so that this work does not take the request thread's time.
 *
 * The broker sends each entry's input once, with the devices that should
 * record it, and gets back per device whether it was written. The results
 * of entries whose writes settle in the same turn go back in one message.
 * Log lines go back to the broker's logger.
 */
import { parentPort } from 'node:worker_threads';
import type { AuditDevice, AuditPlugin, Logger } from '@coffer/sdk';
import { plugin as file } from '@coffer/audit-file';
import { plugin as socket } from '@coffer/audit-socket';
import { deviceFormat, formatEntry, mustBeDurable, pluginOptions, type DeviceFormat } from './entry-format.js';
import { THREADED_AUDIT_TYPES, type EntryItem, type EntryResult, type FromWorker, type LogLevel, type ToWorker, type WorkerCall } from './worker-protocol.js';

if (parentPort === null) throw new Error('the audit worker must run in a worker thread');
const port = parentPort;

interface HostedDevice {
  device: AuditDevice;
  format: DeviceFormat;
  /** Writes not yet settled, which a close waits for. */
  writes: Set<Promise<void>>;
}

/** The types this thread can host; the broker sends it those in THREADED_AUDIT_TYPES. */
const plugins = new Map<string, AuditPlugin>([
  ['file', file],
  ['socket', socket],
]);
if (THREADED_AUDIT_TYPES.some((type) => !plugins.has(type))) {
  throw new Error('THREADED_AUDIT_TYPES lists a device type the audit worker cannot host');
}

const devices = new Map<number, HostedDevice>();
let finished: EntryResult[] = [];
let answerScheduled = false;

port.on('message', (message: ToWorker) => {
  if (message.type === 'entries') writeEntries(message.items);
  else void answerCall(message.id, message.call);
});

/** Starts every write of the batch in order, and reports each entry's result once all its devices settled. */
function writeEntries(items: EntryItem[]): void {
  for (const item of items) {
    const now = new Date(item.time);
    const writes = item.devices.map((id) => {
      const hosted = devices.get(id);
      if (hosted === undefined) return Promise.reject(new Error('the audit device is not open'));
      try {
        const write = hosted.device.write(formatEntry(item.kind, item.input, now, hosted.format), { durable: mustBeDurable(item.kind, item.input) });
        const settled = (): void => {
          hosted.writes.delete(write);
        };
        hosted.writes.add(write);
        write.then(settled, settled);
        return write;
      } catch (err) {
        return Promise.reject(err);
      }
    });
    void Promise.allSettled(writes).then((settled) => {
      finished.push({ seq: item.seq, errors: settled.map((outcome) => (outcome.status === 'fulfilled' ? null : describeError(outcome.reason))) });
      if (answerScheduled) return;
      answerScheduled = true;
      setImmediate(answerEntries);
    });
  }
}

function answerEntries(): void {
  answerScheduled = false;
  if (finished.length === 0) return;
  const results = finished;
  finished = [];
  send({ type: 'written', results });
}

async function answerCall(id: number, call: WorkerCall): Promise<void> {
  let result: FromWorker;
  try {
    result = { type: 'result', id, value: await runCall(call) };
  } catch (err) {
    result = { type: 'result', id, error: describeError(err) };
  }
  // Results of settled entries are sent before the call's result, because
  // after closing the last device the broker stops the thread and fails
  // every entry still waiting.
  if (finished.length > 0) answerEntries();
  send(result);
}

async function runCall(call: WorkerCall): Promise<unknown> {
  if (call.method === 'open') {
    const plugin = plugins.get(call.type);
    if (plugin === undefined) throw new Error(`unknown audit device type "${call.type}"`);
    const format = deviceFormat(call.salt, call.options);
    const device = await plugin.create(pluginOptions(plugin, call.options), { logger: threadLogger({ auditDevice: call.path }) });
    devices.set(call.device, { device, format, writes: new Set() });
    return undefined;
  }

  const hosted = devices.get(call.device);
  if (call.method === 'syncCount') return (hosted?.device as { syncCount?: number } | undefined)?.syncCount;
  if (hosted === undefined) return undefined;
  if (call.method === 'reopen') {
    await hosted.device.reopen?.();
    return undefined;
  }
  devices.delete(call.device);
  // A device may end its connection under writes that still wait on it, so they settle first.
  await Promise.allSettled(hosted.writes);
  await hosted.device.close();
  return undefined;
}

/** Returns a logger whose lines the broker writes with its own logger. */
function threadLogger(bindings: object): Logger {
  const at =
    (level: LogLevel) =>
    (fields: object, message: string): void =>
      send({ type: 'log', level, bindings, fields, message });
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => threadLogger({ ...bindings, ...more }),
  };
}

function send(message: FromWorker): void {
  try {
    port.postMessage(message);
  } catch (err) {
    // Only a log line can contain values that cannot be copied, so it goes without them.
    if (message.type !== 'log') throw err;
    port.postMessage({ ...message, fields: { detail: describeError(err) } });
  }
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
