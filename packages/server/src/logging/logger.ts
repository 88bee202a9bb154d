/**
 * The server log: pino writing JSON lines. Request objects never reach the
 * log; callers pass the fields they mean to log, and tokens are never among
 * them.
 */
import pino, { type DestinationStream, type Level } from 'pino';
import type { Logger } from '@coffer/sdk';
import { ROOT_LOGGER, type LoggerLevels } from './levels.js';
import type { LogMonitor } from './monitor.js';

/**
 * Creates the root logger. With `levels`, the root and every child logger
 * made from it are registered there, so that `sys/loggers` can change them.
 * With `monitor`, every line written also reaches `sys/monitor`'s streams.
 */
export function createLogger(level: Level, destination?: DestinationStream, levels?: LoggerLevels, monitor?: LogMonitor): Logger {
  const root = pino(
    {
      level,
      base: { service: 'coffer' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
      ...(levels !== undefined ? { onChild: (child: pino.Logger) => levels.register(child) } : {}),
      ...(monitor !== undefined ? { hooks: { streamWrite: monitor.publish } } : {}),
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
  levels?.register(root, ROOT_LOGGER);
  return root as unknown as Logger;
}
