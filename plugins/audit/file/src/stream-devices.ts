/**
 * The special targets of the file device: `stdout` and `discard`.
 */
import type { AuditDevice } from '@coffer/sdk';

/**
 * Writes entries to the server's standard output, for containers whose
 * runtime collects it. A write resolves once Node has handed the bytes to the
 * pipe or terminal; what the reader does with them is outside the server.
 * NOTE: a reader that stops reading a pipe stalls every write, because a
 * write to stdout cannot be abandoned and has no timeout.
 */
export class StdoutAuditDevice implements AuditDevice {
  write(entries: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      process.stdout.write(entries, (err) => (err ? reject(new Error(`failed to write audit entries to stdout: ${err.message}`)) : resolve()));
    });
  }

  async close(): Promise<void> {}
}

/** Accepts and drops every entry, as Vault's `discard` does; useful in tests. */
export class DiscardAuditDevice implements AuditDevice {
  async write(_entries: Buffer): Promise<void> {}

  async close(): Promise<void> {}
}
