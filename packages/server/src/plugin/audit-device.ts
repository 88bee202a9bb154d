/**
 * An audit device served by an external plugin: each method is a call of
 * `coffer.audit.v1.AuditDevice` on the plugin process, for one device.
 * After the process restarts, the first call creates the device again in the
 * new process with the same options.
 */
import type { Metadata } from '@grpc/grpc-js';
import { callUnary, type AuditDevice } from '@coffer/sdk';
import type { PluginConnection } from './connection.js';
import type { PluginProcess } from './plugin-process.js';

/** How long the plugin may take to make entries durable, in milliseconds; a hung plugin then fails the request. */
const WRITE_CALL_MS = 10_000;
/** How long Reopen and Close may take, in milliseconds. */
const CONTROL_CALL_MS = 10_000;

export class ExternalAuditDevice implements AuditDevice {
  /** Every write waits for the one before it, so the plugin receives entries in call order. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly process: PluginProcess,
    private readonly metadata: Metadata,
    private readonly path: string,
    private readonly options: Record<string, string>,
    /** The process connection the device was created on. */
    private createdOn: PluginConnection,
    private readonly release: () => Promise<void>,
  ) {}

  write(entries: Buffer): Promise<void> {
    const result = this.tail.then(() => this.call('Write', { entries }, WRITE_CALL_MS));
    this.tail = result.catch(() => undefined);
    return result;
  }

  async reopen(): Promise<void> {
    await this.call('Reopen', {}, CONTROL_CALL_MS);
  }

  /** Waits for pending writes, calls the plugin's Close for the device, and releases the process. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    try {
      // A process that was stopped or crashed has no device left to close,
      // and starting it again only to close the device would be wasted.
      if (this.process.isCurrent(this.createdOn)) await this.call('Close', {}, CONTROL_CALL_MS, true);
    } finally {
      await this.release();
    }
  }

  /**
   * Calls a method of the device. A failed Write is an entry the broker
   * counts as not recorded.
   * @throws Error naming the plugin and the device when the process is not running or the call fails.
   */
  private async call(method: string, request: object, timeoutMs: number, closing = false): Promise<void> {
    if (this.closed && !closing) throw new Error(`audit device "${this.path}" is closed`);
    const label = `audit plugin "${this.process.entry.name}" (device "${this.path}")`;
    let connection;
    try {
      connection = await this.process.ready();
    } catch (err) {
      throw new Error(`${label} is not available: ${(err as Error).message}`);
    }
    try {
      if (connection !== this.createdOn && !closing) {
        await callUnary(connection.audit, 'Create', { options: this.options }, { metadata: this.metadata, deadline: Date.now() + timeoutMs });
        this.createdOn = connection;
      }
      await callUnary(connection.audit, method, request, { metadata: this.metadata, deadline: Date.now() + timeoutMs });
    } catch (err) {
      throw new Error(`${label} failed ${method}: ${(err as { details?: string }).details ?? (err as Error).message}`);
    }
  }
}
