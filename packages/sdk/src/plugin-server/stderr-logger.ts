/**
 * The default logger of a plugin process: one JSON object per line on
 * standard error. The host logs every line of a plugin's standard error as
 * the plugin wrote it, so nothing written here may contain a secret.
 */
import type { Logger } from '../logger.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export type LogLevel = (typeof LEVELS)[number];

/** Creates a logger that writes lines at `level` and above to `write`. */
export function createStderrLogger(
  level: LogLevel = 'info',
  bindings: object = {},
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const threshold = LEVELS.indexOf(level);
  const log = (entryLevel: LogLevel) => (fields: object, message: string) => {
    if (LEVELS.indexOf(entryLevel) < threshold) return;
    const entry = { level: entryLevel, time: new Date().toISOString(), ...bindings, ...fields, msg: message };
    write(`${JSON.stringify(entry, replaceErrors)}\n`);
  };
  return {
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (childBindings) => createStderrLogger(level, { ...bindings, ...childBindings }, write),
  };
}

/** Writes an Error as its message; its other properties may hold request data. */
function replaceErrors(_key: string, value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}

/** Parses a log level name; `undefined` for anything else. */
export function parseLogLevel(text: string | undefined): LogLevel | undefined {
  return LEVELS.find((level) => level === text?.toLowerCase());
}
