/**
 * Plugin output in the server log. Every line a plugin writes to standard
 * output or standard error is logged at info level as the plugin wrote it,
 * tagged with the plugin and the mounts it serves. Plugins must therefore
 * never print secrets or tokens.
 */
import type { Logger } from '@coffer/sdk';

/** Lines logged per second per process; a chatty plugin cannot flood the log. */
const MAX_LINES_PER_SECOND = 200;

/** Characters of one line that reach the log. */
const MAX_LINE_LENGTH = 8 * 1024;

export class PluginOutputLog {
  private windowStart = 0;
  private linesInWindow = 0;
  private dropped = 0;

  constructor(
    private readonly logger: Logger,
    private readonly plugin: string,
    /** The mount paths the process serves when the line is logged. */
    private readonly mounts: () => string[],
  ) {}

  write(stream: 'stdout' | 'stderr', line: string): void {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.flush();
      this.windowStart = now;
      this.linesInWindow = 0;
    }
    if (this.linesInWindow >= MAX_LINES_PER_SECOND) {
      this.dropped++;
      return;
    }
    this.linesInWindow++;
    const logged = line.length > MAX_LINE_LENGTH ? `${line.slice(0, MAX_LINE_LENGTH)}... (${line.length - MAX_LINE_LENGTH} more characters)` : line;
    this.logger.info({ plugin: this.plugin, mounts: this.mounts(), stream, line: logged }, 'plugin output');
  }

  /** Logs how many lines were dropped since the last report, if any. */
  flush(): void {
    if (this.dropped === 0) return;
    this.logger.warn({ plugin: this.plugin, mounts: this.mounts(), dropped: this.dropped, maxLinesPerSecond: MAX_LINES_PER_SECOND }, 'plugin output lines dropped');
    this.dropped = 0;
  }
}
