// `coffer print token`: the token the CLI sends, for the curl commands that
// -output-curl-string prints and for scripts, as `vault print token` does.
import type { Command } from '../command.js';
import { expectArguments } from '../command.js';

export const printTokenCommand: Command = {
  name: 'print token',
  synopsis: 'Print the token the CLI uses',
  help: `
Usage: coffer print token

  Prints the token that other commands send: COFFER_TOKEN, then VAULT_TOKEN,
  then the token that "coffer login" stored. It prints an empty line when
  there is none.

      $ coffer print token
      $ curl -H "X-Vault-Token: $(coffer print token)" \\
          $COFFER_ADDR/v1/auth/token/lookup-self`,
  flags: [],
  async run({ ui, args, client }) {
    expectArguments(args, 0);
    const api = await client();
    ui.output(api.config.token);
    return 0;
  },
};
