// The streams and environment one run of the CLI uses. Tests pass their own,
// so several runs can go side by side in one process.
import type { Readable } from 'node:stream';

/** A text stream the CLI writes to; process.stdout and test buffers both fit. */
export interface TextSink {
  write(chunk: string): unknown;
  /** True when the stream is a terminal, which changes how `-field` output ends. */
  isTTY?: boolean;
}

/** A readable stream that may be a terminal, as process.stdin is. */
export type InputStream = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Everything outside the process that a command reads or writes. */
export interface CommandIO {
  stdout: TextSink;
  stderr: TextSink;
  stdin: InputStream;
  env: Record<string, string | undefined>;
  /** Aborting it stops a running `coffer server`, as SIGINT does. */
  signal?: AbortSignal;
  /** Flag from -non-interactive: a prompt fails instead of reading the terminal. */
  nonInteractive?: boolean;
}

/** Returns the streams and environment of the real process. */
export function processIO(): CommandIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Output formats of `-format`; `raw`, the response body as sent, applies to `read` only. */
export type OutputFormat = 'table' | 'json' | 'yaml' | 'raw';

/** Line-oriented writer over a CommandIO, bound to the output format of one command. */
export class UI {
  constructor(
    readonly io: CommandIO,
    readonly format: OutputFormat = 'table',
  ) {}

  /** Writes a line to stdout. */
  output(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** Writes a line to stderr. */
  error(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** Writes a warning line to stderr, so piped stdout stays clean. */
  warn(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** Writes text to stdout as it is, with no newline added. */
  raw(text: string): void {
    this.io.stdout.write(text);
  }

  get stdoutIsTerminal(): boolean {
    return this.io.stdout.isTTY === true;
  }
}
