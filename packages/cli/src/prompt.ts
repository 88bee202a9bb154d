// Reads a secret typed at the terminal without echoing it.
import { UsageError } from './flags.js';
import type { CommandIO, TextSink } from './io.js';

/**
 * Writes `prompt` to `promptSink` (stdout unless given) and reads one line
 * from a terminal on stdin with echo turned off. Returns the line without its
 * line break.
 *
 * @throws UsageError when stdin is not a terminal or -non-interactive is set,
 * with `fix` appended as the alternative, or when the user presses Ctrl-C or Ctrl-D.
 */
export async function readHiddenLine(io: CommandIO, prompt: string, fix: string, promptSink: TextSink = io.stdout): Promise<string> {
  if (io.nonInteractive === true) throw new UsageError(`-non-interactive is set, so the value cannot be prompted for; ${fix}`);
  const stdin = io.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') {
    throw new UsageError(`stdin is not a terminal, so the value cannot be prompted for; ${fix}`);
  }
  promptSink.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (chunk: Buffer | string): void => {
        for (const character of chunk.toString()) {
          if (character === '\r' || character === '\n') {
            stdin.off('data', onData);
            resolve(typed);
            return;
          }
          if (character === '\u0003' || character === '\u0004') {
            stdin.off('data', onData);
            reject(new UsageError('user canceled'));
            return;
          }
          if (character === '\u007f' || character === '\b') typed = typed.slice(0, -1);
          else typed += character;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    promptSink.write('\n');
  }
}
