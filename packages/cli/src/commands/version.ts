// `coffer version`: the CLI's own version, as `vault version` prints Vault's.
import { COFFER_VERSION } from '@coffer/server';
import type { Command } from '../command.js';
import { expectArguments } from '../command.js';

export const versionCommand: Command = {
  name: 'version',
  synopsis: 'Print the Coffer version',
  help: `
Usage: coffer version

  Prints the version of this Coffer build. The version of a running server
  is in the output of "coffer status".

      $ coffer version`,
  flags: [],
  async run({ ui, args }) {
    expectArguments(args, 0);
    ui.output(`Coffer v${COFFER_VERSION}`);
    return 0;
  },
};
