/**
 * @coffer/cli: the `coffer` command, compatible with Vault's CLI in commands,
 * flags, output and exit codes.
 */
import type { Command } from './command.js';
import { runCommand } from './command.js';
import { kvDeleteCommand, kvDestroyCommand, kvUndeleteCommand } from './commands/kv-delete.js';
import { kvMetadataDeleteCommand, kvMetadataGetCommand, kvMetadataPutCommand } from './commands/kv-metadata.js';
import { kvGetCommand, kvListCommand, kvPatchCommand, kvPutCommand } from './commands/kv.js';
import { loginCommand } from './commands/login.js';
import { logicalCommands } from './commands/logical.js';
import { operatorRekeyCommand } from './commands/operator-rekey.js';
import {
  operatorInitCommand,
  operatorKeyStatusCommand,
  operatorRotateCommand,
  operatorSealCommand,
  operatorUnsealCommand,
} from './commands/operator.js';
import {
  secretsDisableCommand,
  secretsEnableCommand,
  secretsListCommand,
  secretsMoveCommand,
  secretsTuneCommand,
} from './commands/secrets.js';
import { serverCommand } from './commands/server.js';
import { statusCommand } from './commands/status.js';
import { tokenLookupCommand } from './commands/token.js';
import type { CommandIO } from './io.js';
import { UI, processIO } from './io.js';
import { columnize } from './output.js';

export type { CommandIO, TextSink, InputStream } from './io.js';

/** Every leaf command, in the order of the help listing. */
export const commands: Command[] = [
  ...logicalCommands,
  loginCommand,
  serverCommand,
  statusCommand,
  kvGetCommand,
  kvPutCommand,
  kvPatchCommand,
  kvListCommand,
  kvDeleteCommand,
  kvUndeleteCommand,
  kvDestroyCommand,
  kvMetadataGetCommand,
  kvMetadataPutCommand,
  kvMetadataDeleteCommand,
  operatorInitCommand,
  operatorUnsealCommand,
  operatorSealCommand,
  operatorRekeyCommand,
  operatorRotateCommand,
  operatorKeyStatusCommand,
  secretsEnableCommand,
  secretsDisableCommand,
  secretsListCommand,
  secretsTuneCommand,
  secretsMoveCommand,
  tokenLookupCommand,
];

/** Commands that only group subcommands, with their one-line description. */
const groups: Record<string, string> = {
  kv: 'Interact with the key/value secrets engine',
  'kv metadata': 'Interact with KV version 2 metadata',
  operator: 'Perform operator-specific tasks',
  secrets: 'Interact with secrets engines',
  token: 'Interact with tokens',
};

const commonCommands = ['read', 'write', 'delete', 'list', 'login', 'server', 'status'];

function topLevelHelp(): string {
  const synopsis = new Map(commands.map((command) => [command.name, command.synopsis]));
  const common = commonCommands.map((name) => [`    ${name}`, synopsis.get(name) ?? '']);
  const other = Object.keys(groups)
    .filter((name) => !name.includes(' '))
    .map((name) => [`    ${name}`, groups[name]]);
  return [
    'Usage: coffer <command> [args]',
    '',
    'Common commands:',
    columnize(common),
    '',
    'Other commands:',
    columnize(other),
    '',
    'Run "coffer <command> -h" for the flags of a command. COFFER_ADDR and COFFER_TOKEN',
    '(or VAULT_ADDR and VAULT_TOKEN) set the server address and the token.',
  ].join('\n');
}

function groupHelp(group: string): string {
  const children = new Map<string, string>();
  for (const command of commands) {
    if (!command.name.startsWith(`${group} `)) continue;
    const child = command.name.slice(group.length + 1).split(' ')[0];
    const childGroup = `${group} ${child}`;
    children.set(child, groups[childGroup] ?? command.synopsis);
  }
  const rows = [...children].map(([name, synopsis]) => [`    ${name}`, synopsis]);
  return [`Usage: coffer ${group} <subcommand> [options] [args]`, '', `  ${groups[group]}.`, '', 'Subcommands:', columnize(rows)].join('\n');
}

const helpFlags = new Set(['-h', '-help', '--help']);

/**
 * Runs the CLI with `argv` (the arguments after `coffer`) and returns the
 * exit code: 0 on success, 1 for a local error such as a bad flag, 2 for an
 * error the server returned. `io` defaults to the process's streams.
 */
export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const ui = new UI(io);
  if (argv.length === 0 || helpFlags.has(argv[0])) {
    ui.output(topLevelHelp());
    return argv.length === 0 ? 1 : 0;
  }

  // The longest run of leading words that names a command or a group wins.
  let words = 0;
  let command: Command | undefined;
  for (let length = 1; length <= argv.length; length += 1) {
    const name = argv.slice(0, length).join(' ');
    const match = commands.find((candidate) => candidate.name === name);
    if (match !== undefined) {
      command = match;
      words = length;
      break;
    }
    if (!(name in groups)) break;
    words = length;
  }

  if (command !== undefined) return runCommand(command, argv.slice(words), io);
  if (words > 0) {
    const group = argv.slice(0, words).join(' ');
    const next = argv[words];
    if (next !== undefined && helpFlags.has(next)) {
      ui.output(groupHelp(group));
      return 0;
    }
    if (next !== undefined) ui.error(`Unknown command: coffer ${group} ${next}\n`);
    ui.output(groupHelp(group));
    return 1;
  }

  ui.error(`Unknown command: ${argv[0]}. Run "coffer -h" for the list of commands.`);
  return 1;
}
