/**
 * Named loggers and their levels, which `sys/loggers` reads and changes
 * while the server runs. A logger's name comes from the binding it was
 * made with: `component` (such as `token` or `audit`), `mount` (the mount
 * path without its trailing slash), `auditDevice`, `storage` or `seal`. The root logger is `core`.
 * Changes last until the server restarts, as in Vault.
 */
import type { Level, Logger as PinoLogger } from 'pino';

/** Vault's log levels, from the most detailed. */
export const LOG_LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** The name of the root logger. */
export const ROOT_LOGGER = 'core';

/** Bindings that name a logger, from the most specific; `mount` and the others are prefixed with their kind. */
const NAMING_BINDINGS: ReadonlyArray<[string, string]> = [
  ['auditDevice', 'audit-device.'],
  ['mount', 'mount.'],
  ['seal', 'seal.'],
  ['storage', 'storage.'],
  ['component', ''],
];

/** The smallest set of loggers of one name that {@link LoggerLevels.register} prunes. */
const PRUNE_MIN_SIZE = 64;

/** Returns `value` as a level, or `undefined` when it is not one of {@link LOG_LEVELS}. */
export function parseLevel(value: string): Level | undefined {
  const level = value.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as Level) : undefined;
}

export class LoggerLevels {
  /** Live loggers by name. A logger of a removed mount drops out when it is collected. */
  private readonly loggers = new Map<string, Set<WeakRef<PinoLogger>>>();
  /** Levels set through `sys/loggers`, by name; a name without one runs at {@link allLevel}. */
  private readonly overrides = new Map<string, Level>();
  /** The set size, by name, at which {@link register} next prunes collected loggers. */
  private readonly pruneAt = new Map<string, number>();
  /** The level set for every logger, which loggers made later also get; the configured level until then. */
  private allLevel: Level;

  constructor(readonly configured: Level) {
    this.allLevel = configured;
  }

  /**
   * Records a logger the server created; pino calls it for every child logger.
   * Some children live for one message, so a name's set is pruned of collected
   * loggers whenever it has doubled since the last pruning.
   */
  register(logger: PinoLogger, name = nameOf(logger)): void {
    let named = this.loggers.get(name);
    if (named === undefined) {
      named = new Set();
      this.loggers.set(name, named);
    }
    named.add(new WeakRef(logger));
    if (named.size >= (this.pruneAt.get(name) ?? PRUNE_MIN_SIZE)) {
      this.pruneAt.set(name, Math.max(PRUNE_MIN_SIZE, 2 * this.live(name).length));
    }
    const level = this.levelOf(name);
    if (logger.level !== level) logger.level = level;
  }

  /** Returns every named logger's level, sorted by name. */
  levels(): Record<string, Level> {
    const result: Record<string, Level> = {};
    for (const name of [...this.loggers.keys()].sort()) {
      if (this.live(name).length > 0) result[name] = this.levelOf(name);
    }
    return result;
  }

  /** True when a logger of that name is alive. */
  has(name: string): boolean {
    return this.live(name).length > 0;
  }

  /** Sets the level of the loggers named `name`, or of every logger when `name` is undefined. */
  set(name: string | undefined, level: Level): void {
    if (name === undefined) {
      this.allLevel = level;
      this.overrides.clear();
    }
    for (const target of name === undefined ? [...this.loggers.keys()] : [name]) {
      this.overrides.set(target, level);
      for (const logger of this.live(target)) logger.level = level;
    }
  }

  /** Returns the loggers named `name`, or every logger when `name` is undefined, to the configured level, as Vault does. */
  reset(name: string | undefined): void {
    if (name === undefined) {
      this.allLevel = this.configured;
      this.overrides.clear();
    } else if (this.allLevel === this.configured) {
      this.overrides.delete(name);
    } else {
      this.overrides.set(name, this.configured);
    }
    for (const target of name === undefined ? [...this.loggers.keys()] : [name]) {
      for (const logger of this.live(target)) logger.level = this.levelOf(target);
    }
  }

  private levelOf(name: string): Level {
    return this.overrides.get(name) ?? this.allLevel;
  }

  /** Returns the loggers of `name` still alive, forgetting the collected ones. */
  private live(name: string): PinoLogger[] {
    const named = this.loggers.get(name);
    if (named === undefined) return [];
    const alive: PinoLogger[] = [];
    for (const ref of named) {
      const logger = ref.deref();
      if (logger === undefined) named.delete(ref);
      else alive.push(logger);
    }
    if (named.size === 0 && name !== ROOT_LOGGER) {
      // The last logger of the name is gone, such as a removed mount's, so its level goes too.
      this.loggers.delete(name);
      this.overrides.delete(name);
      this.pruneAt.delete(name);
    }
    return alive;
  }
}

/** Returns the name a child logger gets from its bindings, which include its parents' bindings. */
function nameOf(logger: PinoLogger): string {
  const bindings = logger.bindings();
  for (const [key, prefix] of NAMING_BINDINGS) {
    const value = bindings[key];
    // Without the trailing slash of a mount path, since the CLI drops it from a request path.
    if (typeof value === 'string' && value.replace(/\/+$/, '') !== '') return prefix + value.replace(/\/+$/, '');
  }
  return ROOT_LOGGER;
}
