/**
 * The broker's side of the audit worker thread (see worker.ts).
 *
 * Entries recorded during one turn of the event loop go to the worker in
 * one message. The thread starts with the first device it hosts and stops
 * with the last. If it dies, every entry and call waiting on it fails, so
 * the requests behind them fail closed. The next use starts a new thread
 * and opens the hosted devices in it again.
 *
 * The thread keeps the process alive only while something waits on it.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '@coffer/sdk';
import type { EntryKind } from './entry-format.js';
import type { AuditResponseInput } from './input.js';
import type { EntryItem, FromWorker, OpenCall, ToWorker, WorkerCall } from './worker-protocol.js';

const WORKER_SCRIPT = new URL('./worker.js', import.meta.url);

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

export class AuditWorker {
  private worker: Worker | undefined;
  /** Set while a new thread opens the hosted devices again. */
  private starting: Promise<Worker> | undefined;
  /** The open call of every hosted device, replayed in a new thread. */
  private readonly hosted = new Map<number, OpenCall>();
  private readonly calls = new Map<number, Waiter<unknown>>();
  private readonly entries = new Map<number, Waiter<(string | null)[]>>();
  private queue: EntryItem[] = [];
  private flushScheduled = false;
  private referenced = false;
  private nextCall = 1;
  private nextSeq = 1;
  private nextDevice = 1;

  constructor(private readonly logger: Logger) {}

  /**
   * Opens a built-in device in the thread and returns its number.
   * @throws Error with the device's own message when it cannot be opened.
   */
  async open(device: Omit<OpenCall, 'method' | 'device'>): Promise<number> {
    const call: OpenCall = { method: 'open', device: this.nextDevice++, ...device };
    await this.call(call);
    this.hosted.set(call.device, call);
    return call.device;
  }

  /** Closes a hosted device, and the thread with the last one. */
  async close(device: number): Promise<void> {
    if (!this.hosted.delete(device)) return;
    if (this.worker !== undefined || this.starting !== undefined) await this.call({ method: 'close', device });
    if (this.hosted.size === 0) await this.stop();
  }

  /** Reopens a hosted device's destination, for log rotation. */
  async reopen(device: number): Promise<void> {
    await this.call({ method: 'reopen', device });
  }

  /** Returns the number of syncs a hosted file device made, for tests, or `undefined` for other devices. */
  async syncCount(device: number): Promise<number | undefined> {
    return (await this.call({ method: 'syncCount', device })) as number | undefined;
  }

  /**
   * Builds and writes one entry on each of `devices`. Resolves with one
   * outcome per device, in order: `null` when it recorded the entry, or
   * the error message. Rejects when the thread failed.
   */
  record(kind: EntryKind, input: AuditResponseInput, time: number, devices: number[]): Promise<(string | null)[]> {
    return new Promise((resolve, reject) => {
      const seq = this.nextSeq++;
      this.entries.set(seq, { resolve, reject });
      this.queue.push({ seq, kind, input, time, devices });
      this.reference();
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    });
  }

  /** Stops the thread; hosted devices that were not closed lose their unwritten entries. */
  async stop(): Promise<void> {
    const worker = this.worker ?? (await this.starting?.catch(() => undefined));
    this.worker = undefined;
    this.starting = undefined;
    if (worker === undefined) return;
    worker.removeAllListeners('exit');
    await worker.terminate();
    this.fail(new Error('the audit worker thread was stopped'));
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const items = this.queue;
    this.queue = [];
    if (this.worker !== undefined) {
      this.post(this.worker, items);
      return;
    }
    this.running().then(
      (worker) => this.post(worker, items),
      (err: Error) => {
        for (const item of items) this.settleEntry(item.seq, (waiter) => waiter.reject(err));
      },
    );
  }

  /**
   * Sends entries in one message. When one contains a value that cannot be
   * copied to the thread (a function, say), they go one by one instead, and
   * only the entries that cannot be sent fail.
   */
  private post(worker: Worker, items: EntryItem[]): void {
    try {
      worker.postMessage({ type: 'entries', items } satisfies ToWorker);
      return;
    } catch {
      // Found below, per entry.
    }
    for (const item of items) {
      try {
        worker.postMessage({ type: 'entries', items: [item] } satisfies ToWorker);
      } catch (err) {
        this.settleEntry(item.seq, (waiter) => waiter.reject(new Error(`the entry cannot be sent to the audit worker thread: ${err instanceof Error ? err.message : String(err)}`)));
      }
    }
  }

  private call(call: WorkerCall): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextCall++;
      this.calls.set(id, { resolve, reject });
      this.reference();
      const message: ToWorker = { type: 'call', id, call };
      // Entries queued before the call reach the thread before it, so a close never overtakes them.
      this.flush();
      if (this.worker !== undefined) {
        this.worker.postMessage(message);
        return;
      }
      this.running().then(
        (worker) => worker.postMessage(message),
        (err: Error) => this.settleCall(id, (waiter) => waiter.reject(err)),
      );
    });
  }

  /** Returns the running thread, starting one (and opening the hosted devices in it) when there is none. */
  private running(): Promise<Worker> {
    if (this.worker !== undefined) return Promise.resolve(this.worker);
    this.starting ??= this.start();
    return this.starting;
  }

  private async start(): Promise<Worker> {
    const worker = new Worker(WORKER_SCRIPT);
    let exited = false;
    worker.on('message', (message: FromWorker) => this.receive(message));
    worker.on('error', (err) => this.logger.error({ err }, 'audit worker thread failed'));
    worker.on('exit', (code) => {
      exited = true;
      this.lost(worker, code);
    });
    // Devices opened in a thread that died are opened again before anything else is sent.
    for (const call of this.hosted.values()) {
      const id = this.nextCall++;
      const opened = new Promise((resolve, reject) => this.calls.set(id, { resolve, reject }));
      worker.postMessage({ type: 'call', id, call } satisfies ToWorker);
      await opened.catch((err: unknown) => this.logger.error({ err, path: call.path }, 'audit device failed to open in a new audit worker thread'));
    }
    if (exited) throw new Error('the audit worker thread exited while it started');
    this.worker = worker;
    this.starting = undefined;
    // A new thread is referenced; from here on it is only while something waits.
    this.referenced = true;
    this.reference();
    return worker;
  }

  private receive(message: FromWorker): void {
    if (message.type === 'written') {
      for (const result of message.results) this.settleEntry(result.seq, (waiter) => waiter.resolve(result.errors));
    } else if (message.type === 'result') {
      this.settleCall(message.id, (waiter) => (message.error === undefined ? waiter.resolve(message.value) : waiter.reject(new Error(message.error))));
    } else {
      this.logger.child(message.bindings)[message.level](message.fields, message.message);
    }
  }

  private lost(worker: Worker, code: number): void {
    if (this.worker === worker) this.worker = undefined;
    this.starting = undefined;
    this.logger.error({ exitCode: code, devices: this.hosted.size }, 'audit worker thread exited; it starts again on the next entry');
    this.fail(new Error(`the audit worker thread exited with code ${code}`));
  }

  /** Rejects everything waiting on the thread. */
  private fail(err: Error): void {
    const calls = [...this.calls.values()];
    const entries = [...this.entries.values()];
    this.calls.clear();
    this.entries.clear();
    this.queue = [];
    for (const waiter of calls) waiter.reject(err);
    for (const waiter of entries) waiter.reject(err);
    this.reference();
  }

  private settleCall(id: number, settle: (waiter: Waiter<unknown>) => void): void {
    const waiter = this.calls.get(id);
    if (waiter === undefined) return;
    this.calls.delete(id);
    settle(waiter);
    this.reference();
  }

  private settleEntry(seq: number, settle: (waiter: Waiter<(string | null)[]>) => void): void {
    const waiter = this.entries.get(seq);
    if (waiter === undefined) return;
    this.entries.delete(seq);
    settle(waiter);
    this.reference();
  }

  /** Keeps the process alive exactly while something waits on the thread. */
  private reference(): void {
    const waiting = this.calls.size > 0 || this.entries.size > 0;
    if (this.worker === undefined || waiting === this.referenced) return;
    if (waiting) this.worker.ref();
    else this.worker.unref();
    this.referenced = waiting;
  }
}
