// `coffer unwrap`: exchanges a wrapping token for the response it wraps.
import type { Command } from '../command.js';
import { expectArguments, fieldFlag, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError } from '../flags.js';
import { outputList, outputSecret, printField } from '../output.js';
import type { Secret } from '../secret.js';

export const unwrapCommand: Command = {
  name: 'unwrap',
  synopsis: 'Unwrap a wrapped secret',
  help: `
Usage: coffer unwrap [options] [TOKEN]

  Unwraps a wrapped response with its wrapping token and prints it as the
  unwrapped command would have. A wrapping token works once. Without TOKEN,
  the token the CLI is using is taken as the wrapping token.

      $ coffer unwrap 3de9ece1-b347-e143-29b0-dc2dc31caafd
      $ COFFER_TOKEN=3de9ece1-b347-e143-29b0-dc2dc31caafd coffer unwrap`,
  flags: [...httpFlags, fieldFlag, formatFlag],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 0, 1);
    const wrappingToken = args[0]?.trim() ?? '';

    const api = await client();
    if (wrappingToken === '' && api.config.token === '') {
      throw new UsageError('No wrapping token to unwrap: pass it as an argument, or set COFFER_TOKEN to it');
    }
    let secret: Secret | null;
    try {
      secret = await api.unwrap(wrappingToken);
    } catch (error) {
      return reportApiError(ui, 'Error unwrapping', error);
    }
    if (secret === null) {
      ui.error('Could not find wrapped response');
      return 2;
    }

    if (flags.has('field')) return printField(ui, secret, flags.string('field'));
    // A wrapped LIST response prints as a list, the way the list command prints it.
    const keys = secret.data?.keys;
    if (Array.isArray(keys)) {
      outputList(ui, secret, keys);
      return 0;
    }
    outputSecret(ui, secret);
    return 0;
  },
};
