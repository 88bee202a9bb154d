// Helpers for the CLI's tests: captured streams, CLI runs and temporary
// folders. Only test files import this module.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CommandIO } from './io.js';
import { main } from './index.js';

/** A text sink that keeps what was written. */
export class CapturedStream {
  private chunks: string[] = [];

  constructor(readonly isTTY = false) {}

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }

  get text(): string {
    return this.chunks.join('');
  }
}

/** Input and environment of one captured CLI run. */
export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  /** Pretend stdout is a terminal. */
  stdoutIsTerminal?: boolean;
  signal?: AbortSignal;
}

/** Exit code and output of one CLI run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Builds a CommandIO over captured streams. */
export function captureIO(options: RunOptions = {}): { io: CommandIO; stdout: CapturedStream; stderr: CapturedStream } {
  const stdout = new CapturedStream(options.stdoutIsTerminal ?? false);
  const stderr = new CapturedStream();
  const io: CommandIO = {
    stdout,
    stderr,
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    env: options.env ?? {},
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  };
  return { io, stdout, stderr };
}

/** Runs `main` with captured streams. */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const { io, stdout, stderr } = captureIO(options);
  const code = await main(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Makes a temporary folder and returns its path and a function that removes it. */
export async function makeTempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
