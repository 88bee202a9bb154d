/**
 * Types for the parts of `unix-dgram` 2.x that this device uses; the package
 * ships none.
 */
declare module 'unix-dgram' {
  import type { EventEmitter } from 'node:events';

  /** An error from the binding; `code` is a negative errno, or 1 for congestion. */
  export interface UnixDgramError extends Error {
    code: number;
    errno?: number;
    syscall?: string;
  }

  export interface UnixDgramSocket extends EventEmitter {
    /** Connects to the socket file; emits 'error' synchronously when that fails, else 'connect'. */
    connect(path: string): void;
    /** Sends one datagram on a connected socket; the callback runs synchronously. */
    send(buffer: Buffer, callback: (err?: UnixDgramError) => void): void;
    close(): void;
  }

  export function createSocket(type: 'unix_dgram', listener?: (message: Buffer) => void): UnixDgramSocket;

  const unixDgram: { createSocket: typeof createSocket };
  export default unixDgram;
}
