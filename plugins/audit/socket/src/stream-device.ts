/**
 * The socket audit device over a stream: TCP or a Unix domain socket.
 *
 * One connection is kept open and shared by concurrent writes, which the
 * socket sends in call order. A write resolves once the kernel accepted its
 * bytes. When the peer closes the connection or an error breaks it, the next
 * write connects again. A write that fails on a connection kept from earlier
 * is tried once more on a new one, because the break may have happened while
 * the connection sat idle.
 */
import { connect, type Socket } from 'node:net';
import type { AuditDevice, Logger } from '@coffer/sdk';
import { withTimeout } from './timeout.js';

export type StreamTarget = { type: 'tcp'; host: string; port: number } | { type: 'unix'; path: string };

interface Connection {
  socket: Socket;
  ready: Promise<Socket>;
}

/** Sends entries over TCP or a Unix socket; each write settles within the write timeout. */
export class StreamSocketAuditDevice implements AuditDevice {
  private connection: Connection | undefined;
  private closed = false;

  constructor(
    private readonly target: StreamTarget,
    /** Milliseconds a write may take, connecting included. */
    private readonly writeTimeout: number,
    private readonly logger: Logger,
  ) {}

  /** True while a connection is open or being opened. */
  get connected(): boolean {
    return this.connection !== undefined;
  }

  write(entries: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`audit socket ${this.describeTarget()} is closed`));
    const attempt = { timedOut: false };
    return withTimeout(this.send(entries, attempt), this.writeTimeout, () => {
      // A peer that stopped reading keeps the connection blocked, so drop it.
      attempt.timedOut = true;
      this.disconnect();
      return new Error(`timed out after ${this.writeTimeout}ms sending audit entries to ${this.describeTarget()}`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    if (connection === undefined) return;
    await new Promise<void>((resolve) => {
      connection.socket.once('close', () => resolve());
      connection.socket.end();
      // A peer that never acknowledges the close must not hold the server's shutdown.
      setTimeout(() => connection.socket.destroy(), this.writeTimeout).unref();
    });
  }

  private async send(entries: Buffer, attempt: { timedOut: boolean }): Promise<void> {
    const reused = this.connection !== undefined;
    try {
      await this.sendOnce(entries);
    } catch (err) {
      if (!reused || attempt.timedOut) throw this.failure(err);
      this.logger.warn({ err, target: this.describeTarget() }, 'audit socket write failed; reconnecting once');
      try {
        await this.sendOnce(entries);
      } catch (retryErr) {
        throw this.failure(retryErr);
      }
    }
  }

  /** Writes on the current connection, opening one if needed, and drops that connection if the write fails. */
  private async sendOnce(entries: Buffer): Promise<void> {
    const socket = await this.connect();
    try {
      await writeTo(socket, entries);
    } catch (err) {
      this.forget(socket);
      throw err;
    }
  }

  private connect(): Promise<Socket> {
    if (this.connection !== undefined) return this.connection.ready;

    const socket = this.target.type === 'tcp' ? connect({ host: this.target.host, port: this.target.port }) : connect({ path: this.target.path });
    const ready = new Promise<Socket>((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
    socket.on('error', (err) => {
      this.logger.warn({ err, target: this.describeTarget() }, 'audit socket connection failed');
      this.forget(socket);
    });
    socket.on('close', () => this.forget(socket));
    if (this.target.type === 'tcp') socket.setNoDelay(true);
    // Read and drop whatever the peer sends, so its close arrives as 'end'.
    socket.resume();

    this.connection = { socket, ready };
    return ready;
  }

  private disconnect(): void {
    const connection = this.connection;
    this.connection = undefined;
    connection?.socket.destroy();
  }

  private forget(socket: Socket): void {
    if (this.connection?.socket === socket) this.connection = undefined;
    socket.destroy();
  }

  private failure(err: unknown): Error {
    const reason = err instanceof Error ? err.message : String(err);
    return new Error(`failed to send audit entries to ${this.describeTarget()}: ${reason}`);
  }

  private describeTarget(): string {
    return this.target.type === 'tcp' ? `tcp ${this.target.host}:${this.target.port}` : `unix ${this.target.path}`;
  }
}

function writeTo(socket: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed || socket.writableEnded) {
      reject(new Error('the connection is closed'));
      return;
    }
    socket.write(data, (err) => (err ? reject(err) : resolve()));
  });
}
