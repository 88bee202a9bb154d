/**
 * The socket audit device over UDP. Each write is one datagram, so an entry
 * larger than a datagram can carry (65,507 bytes over IPv4) fails with
 * EMSGSIZE. UDP does not confirm delivery: a write resolves once the kernel
 * sent the datagram, and a peer that is gone shows up only as ECONNREFUSED on
 * a later write, after the ICMP error arrived.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { AuditDevice, Logger } from '@coffer/sdk';
import { withTimeout } from './timeout.js';

/** Sends entries as UDP datagrams; each write settles within the write timeout. */
export class DatagramSocketAuditDevice implements AuditDevice {
  private socket: Socket | undefined;
  private ready: Promise<Socket> | undefined;
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    /** Milliseconds a write may take. */
    private readonly writeTimeout: number,
    private readonly logger: Logger,
  ) {}

  write(entries: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`audit socket ${this.describeTarget()} is closed`));
    return withTimeout(this.send(entries), this.writeTimeout, () => {
      this.disconnect();
      return new Error(`timed out after ${this.writeTimeout}ms sending audit entries to ${this.describeTarget()}`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.disconnect();
  }

  private async send(entries: Buffer): Promise<void> {
    const socket = await this.connect();
    try {
      await new Promise<void>((resolve, reject) => socket.send(entries, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      // A refused datagram leaves the socket usable, but a fresh one also clears a stale route.
      if (this.socket === socket) this.disconnect();
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`failed to send audit entries to ${this.describeTarget()}: ${reason}`);
    }
  }

  private connect(): Promise<Socket> {
    if (this.ready !== undefined) return this.ready;

    const socket = createSocket(isIPv6(this.host) ? 'udp6' : 'udp4');
    this.socket = socket;
    this.ready = new Promise<Socket>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(this.port, this.host, () => {
        socket.off('error', reject);
        resolve(socket);
      });
    });
    socket.on('error', (err) => {
      this.logger.warn({ err, target: this.describeTarget() }, 'audit socket failed');
      if (this.socket === socket) this.disconnect();
    });
    return this.ready;
  }

  private disconnect(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.ready = undefined;
    try {
      socket?.close();
    } catch {
      // Already closed.
    }
  }

  private describeTarget(): string {
    return `udp ${this.host}:${this.port}`;
  }
}
