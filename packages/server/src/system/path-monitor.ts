/**
 * sys/monitor: checks a request to stream the server log, with Vault's
 * parameters. The path returns the checked settings, and the HTTP layer then
 * streams the log lines in place of that response (see http/handler.ts). So
 * the token, the policy and the audit log treat it as any other read.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { LOG_LEVELS, parseLevel } from '../logging/levels.js';
import { MONITOR_FORMATS, type LogMonitor, type MonitorFormat } from '../logging/monitor.js';

/** The path below `sys/` that streams. */
export const MONITOR_PATH = 'monitor';

const fields = {
  log_level: { type: 'string', default: 'info', description: `The lowest level to stream: ${LOG_LEVELS.join(', ')}.` },
  log_format: { type: 'string', default: 'standard', description: 'The line format: "standard" text or "json".' },
} as const;

export function monitorPaths(monitor: LogMonitor | undefined): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: MONITOR_PATH,
      fields,
      operations: {
        async read(_request, fields) {
          if (monitor === undefined) throw badRequest('this server was not started with a log that can be streamed');
          const rawLevel = fields.get('log_level');
          const level = parseLevel(rawLevel);
          if (level === undefined) throw badRequest(`field "log_level" must be one of ${LOG_LEVELS.join(', ')}, not "${rawLevel}"`);
          const format = fields.get('log_format').trim().toLowerCase();
          if (!(MONITOR_FORMATS as readonly string[]).includes(format)) {
            throw badRequest(`field "log_format" must be one of ${MONITOR_FORMATS.join(', ')}, not "${fields.get('log_format')}"`);
          }
          return { data: { log_level: level, log_format: format as MonitorFormat } };
        },
      },
      helpSynopsis: 'Stream the server log.',
      helpDescription:
        'GET streams the log lines the server writes from now on, at "log_level" or above, as "standard" text or "json" lines, until the client disconnects. ' +
        'The loggers write at their own levels, which sys/loggers changes, so lines more detailed than those levels do not appear.',
    }),
  ];
}
