// Reading one key share for the commands that collect shares one at a time
// (operator rekey and operator generate-root).
import type { CommandContext } from '../command.js';
import { readAllText } from '../flags.js';
import { readHiddenLine } from '../prompt.js';

/**
 * Gets a key share and the operation's nonce from the argument, stdin (`-`)
 * or a hidden terminal prompt. With an argument the nonce comes from
 * `-nonce`. At the prompt it is the nonce in progress, printed after `nonceLabel`.
 */
export async function readKeyShare(context: CommandContext, nonceLabel: string, currentNonce: string): Promise<{ key: string; nonce: string }> {
  const { io, ui, args, flags } = context;
  const argument = args[0] ?? '';
  if (argument === '-') return { key: (await readAllText(io.stdin)).trim(), nonce: flags.string('nonce') };
  if (argument !== '') return { key: argument.trim(), nonce: flags.string('nonce') };

  ui.output(`${nonceLabel}: ${currentNonce}`);
  const typed = await readHiddenLine(
    io,
    'Unseal Key (will be hidden): ',
    'pass the key as an argument, or "-" to read it from stdin, with -nonce',
  );
  return { key: typed.trim(), nonce: currentNonce };
}
