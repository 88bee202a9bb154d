// The agent's log: one line per event on stderr, a constant message and
// key=value fields, in the shape of Vault Agent's log. Callers never pass a
// token or secret value as a field.
import type { TextSink } from '../io.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const levels: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** Fields of one log line. */
export type LogFields = Record<string, string | number | boolean | undefined>;

export class AgentLogger {
  private readonly minimum: number;

  constructor(
    private readonly sink: TextSink,
    level: LogLevel = 'info',
    private readonly component = 'agent',
  ) {
    this.minimum = levels.indexOf(level);
  }

  /** Returns a logger whose lines name `component`, such as "agent.sink.file". */
  named(component: string): AgentLogger {
    return new AgentLogger(this.sink, levels[this.minimum], `${this.component}.${component}`);
  }

  debug(message: string, fields: LogFields = {}): void {
    this.write('debug', message, fields);
  }

  info(message: string, fields: LogFields = {}): void {
    this.write('info', message, fields);
  }

  warn(message: string, fields: LogFields = {}): void {
    this.write('warn', message, fields);
  }

  error(message: string, fields: LogFields = {}): void {
    this.write('error', message, fields);
  }

  private write(level: LogLevel, message: string, fields: LogFields): void {
    if (levels.indexOf(level) < this.minimum) return;
    const pairs: string[] = [];
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      const text = String(value);
      pairs.push(`${key}=${/[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text}`);
    }
    // As in Vault's logs, a colon separates the message from its fields.
    const line = pairs.length === 0 ? message : `${message}: ${pairs.join(' ')}`;
    this.sink.write(`${`${new Date().toISOString()} [${level.toUpperCase()}]`.padEnd(32)} ${this.component}: ${line}\n`);
  }
}

/** Returns the level named `name`, or undefined for an unknown name. */
export function parseLogLevel(name: string): LogLevel | undefined {
  const lower = name.toLowerCase();
  return (levels as string[]).includes(lower) ? (lower as LogLevel) : undefined;
}
