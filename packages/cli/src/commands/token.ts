// `coffer token lookup`.
import type { Command } from '../command.js';
import { expectArguments, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError } from '../flags.js';
import { outputSecret } from '../output.js';
import type { Secret } from '../secret.js';

export const tokenLookupCommand: Command = {
  name: 'token lookup',
  synopsis: 'Display information about a token',
  help: `
Usage: coffer token lookup [options] [TOKEN | ACCESSOR]

  Prints the properties of a token: its policies, TTL, creation time and
  metadata. Without an argument, it looks up the token the CLI is using.

      $ coffer token lookup
      $ coffer token lookup -accessor 9793c9b3-e04a-46f3-e7b8-748d7da248da`,
  flags: [
    ...httpFlags,
    formatFlag,
    { name: 'accessor', kind: 'bool', usage: 'Treat the argument as a token accessor instead of a token.' },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 0, 1);
    const accessor = flags.bool('accessor');
    if (accessor && args.length === 0) {
      throw new UsageError('Not enough arguments with -accessor (expected 1, got 0): pass the accessor to look up');
    }
    const value = args[0]?.trim() ?? '';

    const api = await client();
    let secret: Secret | null;
    try {
      if (value === '') secret = await api.read('auth/token/lookup-self');
      else if (accessor) secret = await api.write('auth/token/lookup-accessor', { accessor: value }, 'POST');
      else secret = await api.write('auth/token/lookup', { token: value }, 'POST');
    } catch (error) {
      return reportApiError(ui, 'Error looking up token', error);
    }
    if (secret === null) {
      ui.error('Error looking up token: the server returned no data');
      return 2;
    }
    outputSecret(ui, secret);
    return 0;
  },
};
