/**
 * The structured logger a plugin receives. It matches the subset of pino's
 * API that Coffer uses: a constant lowercase message plus fields, with an
 * error under `err`. Never pass a secret or token in the fields.
 */
export interface Logger {
  trace(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  child(bindings: object): Logger;
}

/** A logger that drops everything, for tests and tools that do not log. */
export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
