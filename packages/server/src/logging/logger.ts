/**
 * The server log: pino writing JSON lines. Request objects never reach the
 * log; callers pass the fields they mean to log, and tokens are never among
 * them.
 */
import pino, { type DestinationStream, type Level } from 'pino';
import type { Logger } from '@coffer/sdk';

export function createLogger(level: Level, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'coffer' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  ) as unknown as Logger;
}
