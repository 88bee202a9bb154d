/**
 * Streams of the server log for `sys/monitor`. Pino's `streamWrite` hook
 * passes each line the server writes to the monitors attached at the time,
 * and the destination itself stays pino's own. A monitor receives the lines
 * the loggers write at their current levels (see levels.ts), filtered to its
 * own level, so a more detailed view needs `sys/loggers` first.
 */
import type { Level } from 'pino';
import { LOG_LEVELS } from './levels.js';

/** Receives each log line, a JSON object with a trailing newline. */
export type LogListener = (line: string) => void;

export class LogMonitor {
  private readonly listeners = new Set<LogListener>();

  /** Passes a line the server writes to every attached listener and returns it unchanged, as pino's `streamWrite` hook. */
  readonly publish = (line: string): string => {
    for (const listener of this.listeners) listener(line);
    return line;
  };

  /** Attaches `listener` until the returned function is called. */
  subscribe(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The number of attached listeners. */
  get size(): number {
    return this.listeners.size;
  }
}

/** Vault's log formats for `sys/monitor`. */
export const MONITOR_FORMATS = ['standard', 'json'] as const;
export type MonitorFormat = (typeof MONITOR_FORMATS)[number];

/** Fields of a log line that the standard format prints in its own place, not as `key=value`. */
const PLACED_FIELDS = new Set(['time', 'level', 'msg', 'service', 'component']);

/** Returns the rank of `level` in {@link LOG_LEVELS}, or -1 for an unknown one. */
export function levelRank(level: string): number {
  return (LOG_LEVELS as readonly string[]).indexOf(level);
}

/**
 * Returns the log line as `format` prints it, or `undefined` when it is below
 * `level` or is not a JSON object. The standard format is Vault's text form:
 * time, level in brackets, the component as a prefix, the message, then the
 * other fields as `key=value`.
 */
export function formatLine(line: string, level: Level, format: MonitorFormat): string | undefined {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  if (levelRank(String(parsed.level)) < levelRank(level)) return undefined;
  if (format === 'json') return line.endsWith('\n') ? line : `${line}\n`;

  const prefix = typeof parsed.component === 'string' ? `${parsed.component}: ` : '';
  const pairs = Object.entries(parsed)
    .filter(([key]) => !PLACED_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? quoteIfNeeded(value) : JSON.stringify(value)}`);
  const label = `[${String(parsed.level).toUpperCase()}]`.padEnd(7);
  return `${String(parsed.time)} ${label} ${prefix}${String(parsed.msg ?? '')}${pairs.length > 0 ? `: ${pairs.join(' ')}` : ''}\n`;
}

function quoteIfNeeded(value: string): string {
  return /^[\w./:@+-]+$/.test(value) ? value : JSON.stringify(value);
}
