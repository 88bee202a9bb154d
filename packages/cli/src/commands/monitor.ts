// `coffer monitor`: follows the server log through sys/monitor, as
// `vault monitor` does, until interrupted.
import type { Command } from '../command.js';
import { expectArguments, httpFlags } from '../command.js';
import { UsageError } from '../flags.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];
const FORMATS = ['standard', 'json'];

export const monitorCommand: Command = {
  name: 'monitor',
  synopsis: 'Stream the server log',
  help: `
Usage: coffer monitor [options]

  Streams the log lines the server writes from now on, at -log-level or
  above, until interrupted with Ctrl-C. The token needs read on sys/monitor.
  Lines more detailed than the server's own log levels do not appear; raise
  them first with "coffer write sys/loggers level=debug".

      $ coffer monitor -log-level=debug
      $ coffer monitor -log-format=json`,
  flags: [
    ...httpFlags,
    { name: 'log-level', kind: 'string', usage: `Lowest level to stream: ${LEVELS.join(', ')}.`, defaultText: 'info' },
    { name: 'log-format', kind: 'string', usage: 'Line format: standard or json.', defaultText: 'standard' },
  ],
  async run({ io, args, flags, client }) {
    expectArguments(args, 0);
    const level = (flags.has('log-level') ? flags.string('log-level') : 'info').trim().toLowerCase();
    if (!LEVELS.includes(level)) throw new UsageError(`invalid -log-level "${flags.string('log-level')}": use ${LEVELS.join(', ')}`);
    const format = (flags.has('log-format') ? flags.string('log-format') : 'standard').trim().toLowerCase();
    if (!FORMATS.includes(format)) throw new UsageError(`invalid -log-format "${flags.string('log-format')}": use ${FORMATS.join(' or ')}`);

    const api = await client();
    await api.stream('sys/monitor', { log_level: level, log_format: format }, (text) => io.stdout.write(text), io.signal);
    return 0;
  },
};
