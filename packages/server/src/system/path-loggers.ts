/**
 * sys/loggers: reads and changes the level of the server's loggers while it
 * runs, with Vault's paths. A change lasts until the server restarts.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { LOG_LEVELS, parseLevel, type LoggerLevels } from '../logging/levels.js';
import type { Level } from 'pino';

const levelField = {
  level: {
    type: 'string',
    description: `The level to set: ${LOG_LEVELS.join(', ')}. Required when setting.`,
  },
} as const;

const nameField = {
  name: { type: 'string', description: 'The logger, as GET sys/loggers lists it, such as "core", "token" or "mount.secret".' },
} as const;

export function loggerPaths(levels: LoggerLevels | undefined): PathDefinition<FieldMap>[] {
  const registry = (): LoggerLevels => {
    if (levels === undefined) throw badRequest('this server was not started with a logger whose levels can change');
    return levels;
  };
  const known = (name: string): string => {
    if (!registry().has(name)) throw badRequest(`logger "${name}" not found; GET sys/loggers lists the loggers`);
    return name;
  };

  return [
    definePath({
      pattern: 'loggers',
      fields: levelField,
      operations: {
        async read() {
          return { data: registry().levels() };
        },
        async update(_request, fields) {
          if (fields.raw.level === undefined) throw badRequest('field "level" is required');
          registry().set(undefined, readLevel(fields.get('level')));
          return null;
        },
        async delete() {
          registry().reset(undefined);
          return null;
        },
      },
      helpSynopsis: 'Read or change the level of every logger.',
      helpDescription: `GET lists each logger and its level. POST sets "level" (${LOG_LEVELS.join(', ')}) on every logger. DELETE returns every logger to the configured log_level.`,
    }),
    definePath({
      pattern: 'loggers/(?<name>.+)',
      fields: { ...nameField, ...levelField },
      operations: {
        async read(_request, fields) {
          const name = known(fields.get('name'));
          return { data: { [name]: registry().levels()[name] } };
        },
        async update(_request, fields) {
          const name = known(fields.get('name'));
          if (fields.raw.level === undefined) throw badRequest('field "level" is required');
          registry().set(name, readLevel(fields.get('level')));
          return null;
        },
        async delete(_request, fields) {
          registry().reset(known(fields.get('name')));
          return null;
        },
      },
      helpSynopsis: 'Read or change the level of one logger.',
      helpDescription: `GET reads the logger's level. POST sets "level" (${LOG_LEVELS.join(', ')}). DELETE returns it to the configured log_level.`,
    }),
  ];
}

function readLevel(value: string): Level {
  const level = parseLevel(value);
  if (level === undefined) throw badRequest(`field "level" must be one of ${LOG_LEVELS.join(', ')}, not "${value}"`);
  return level;
}
