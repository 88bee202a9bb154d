/**
 * The syslog audit device: one RFC 3164 message per entry, sent as a
 * datagram to the local syslog socket.
 *
 * Node.js has no Unix datagram sockets in core, and rsyslog's imuxsock and
 * systemd-journald accept only datagrams on /dev/log, so the device uses the
 * `unix-dgram` native module. A datagram to a Unix socket is delivered or
 * fails: the kernel never drops it silently. When the daemon's buffer is full
 * the send reports congestion, and the device waits for the socket to become
 * writable and sends again, for at most the write timeout. After an error
 * (the daemon restarted and the socket file was replaced) the device
 * reconnects once and sends again.
 *
 * NOTE: syslog daemons cut long messages: rsyslog keeps 8 KiB by default
 * (`maxMessageSize`), and audit entries can be longer.
 */
import { constants } from 'node:os';
import unixDgram, { type UnixDgramError, type UnixDgramSocket } from 'unix-dgram';
import type { AuditDevice, Logger } from '@coffer/sdk';
import { formatMessage } from './rfc3164.js';

/** Milliseconds a write may wait for a congested syslog socket. */
export const WRITE_TIMEOUT_MS = 2000;

/** The binding reports congestion (EAGAIN or ENOBUFS) with this code. */
const CONGESTION = 1;

export interface SyslogSettings {
  /** The syslog daemon's socket, /dev/log by default. */
  socketPath: string;
  facility: number;
  tag: string;
}

/** Sends entries to the local syslog daemon. */
export class SyslogAuditDevice implements AuditDevice {
  private socket: UnixDgramSocket | undefined;
  private closed = false;
  /** Writes run one at a time on this chain, so a write that waits out congestion is not overtaken. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: SyslogSettings,
    private readonly logger: Logger,
  ) {}

  /**
   * Creates a device and connects it to the daemon's socket, as Vault's
   * syslog device does at enable. A device that could not send would fail
   * every request once it is the only one enabled, including the request
   * that disables it.
   * @throws Error naming the socket when no daemon listens on it.
   */
  static open(settings: SyslogSettings, logger: Logger): SyslogAuditDevice {
    const device = new SyslogAuditDevice(settings, logger);
    try {
      device.connect();
    } catch (err) {
      throw new Error(`failed to connect to syslog socket "${settings.socketPath}": ${describeError(err)}; start the syslog daemon or set "socket_path"`);
    }
    return device;
  }

  write(entries: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`syslog socket "${this.settings.socketPath}" is closed`));
    const written = this.chain.then(() => this.writeLines(entries));
    this.chain = written.catch(() => undefined);
    return written;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    this.disconnect();
  }

  private async writeLines(entries: Buffer): Promise<void> {
    const now = new Date();
    for (const line of splitLines(entries)) {
      const message = formatMessage(this.settings.facility, this.settings.tag, line, now);
      await this.sendWithReconnect(message);
    }
  }

  private async sendWithReconnect(message: Buffer): Promise<void> {
    const reused = this.socket !== undefined;
    try {
      await this.send(message);
    } catch (err) {
      this.disconnect();
      if (!reused) throw this.failure(err);
      this.logger.warn({ err, socket: this.settings.socketPath }, 'syslog send failed; reconnecting once');
      try {
        await this.send(message);
      } catch (retryErr) {
        this.disconnect();
        throw this.failure(retryErr);
      }
    }
  }

  /** Sends one datagram, waiting out congestion for at most the write timeout. */
  private async send(message: Buffer): Promise<void> {
    const deadline = Date.now() + WRITE_TIMEOUT_MS;
    for (;;) {
      const socket = this.connect();
      const err = sendDatagram(socket, message);
      if (err === undefined) return;
      if (err.code !== CONGESTION) throw err;
      const left = deadline - Date.now();
      if (left <= 0 || !(await waitWritable(socket, left))) {
        throw new Error(`timed out after ${WRITE_TIMEOUT_MS}ms waiting for the syslog daemon to accept messages`);
      }
    }
  }

  private connect(): UnixDgramSocket {
    if (this.socket !== undefined) return this.socket;

    const socket = unixDgram.createSocket('unix_dgram');
    let failure: Error | undefined;
    const onConnectError = (err: Error): void => {
      failure = err;
    };
    // connect() reports a failure synchronously through 'error'.
    socket.once('error', onConnectError);
    socket.connect(this.settings.socketPath);
    socket.off('error', onConnectError);
    if (failure !== undefined) {
      socket.close();
      throw failure;
    }
    socket.on('error', (err: Error) => {
      this.logger.warn({ err, socket: this.settings.socketPath }, 'syslog socket failed');
      if (this.socket === socket) this.disconnect();
    });
    this.socket = socket;
    return socket;
  }

  private disconnect(): void {
    const socket = this.socket;
    this.socket = undefined;
    try {
      socket?.close();
    } catch {
      // Already closed.
    }
  }

  private failure(err: unknown): Error {
    return new Error(`failed to send audit entries to syslog socket "${this.settings.socketPath}": ${describeError(err)}`);
  }
}

/** Sends one datagram; returns the binding's error instead of throwing it. */
function sendDatagram(socket: UnixDgramSocket, message: Buffer): UnixDgramError | undefined {
  let result: UnixDgramError | undefined;
  // The binding calls back synchronously, before send() returns.
  socket.send(message, (err) => {
    result = err;
  });
  return result;
}

function waitWritable(socket: UnixDgramSocket, milliseconds: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('writable', onWritable);
      resolve(false);
    }, milliseconds);
    const onWritable = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('writable', onWritable);
  });
}

/** Splits serialized entries into lines without their newlines, skipping empty ones. */
function splitLines(entries: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  while (start < entries.length) {
    let end = entries.indexOf(0x0a, start);
    if (end === -1) end = entries.length;
    if (end > start) lines.push(entries.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

/** Names the errno of a binding error, which carries only the negative number. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as Partial<UnixDgramError>).code;
  if (typeof code === 'number' && code < 0) {
    const name = Object.entries(constants.errno).find(([, value]) => value === -code)?.[0];
    if (name !== undefined) return `${(err as UnixDgramError).syscall ?? 'send'} ${name}`;
  }
  return err.message;
}
