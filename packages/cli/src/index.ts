/**
 * @coffer/cli: the `coffer` command, compatible with Vault's CLI in commands,
 * flags, output and exit codes.
 */
import { agentCommand } from './agent/command.js';
import type { Command } from './command.js';
import { runCommand } from './command.js';
import { auditCommands } from './commands/audit.js';
import { authCommands } from './commands/auth.js';
import { kvDeleteCommand, kvDestroyCommand, kvUndeleteCommand } from './commands/kv-delete.js';
import { kvEnableVersioningCommand, kvRollbackCommand } from './commands/kv-versioning.js';
import { kvMetadataDeleteCommand, kvMetadataGetCommand, kvMetadataPutCommand } from './commands/kv-metadata.js';
import { kvGetCommand, kvListCommand, kvPatchCommand, kvPutCommand } from './commands/kv.js';
import { leaseLookupCommand, leaseRenewCommand, leaseRevokeCommand } from './commands/lease.js';
import { loginCommand } from './commands/login.js';
import { logicalCommands } from './commands/logical.js';
import { operatorGenerateRootCommand } from './commands/operator-generate-root.js';
import { operatorMigrateCommand } from './commands/operator-migrate.js';
import { operatorRekeyCommand } from './commands/operator-rekey.js';
import { operatorSnapshotRestoreCommand, operatorSnapshotSaveCommand } from './commands/operator-snapshot.js';
import {
  operatorInitCommand,
  operatorKeyStatusCommand,
  operatorRotateCommand,
  operatorSealCommand,
  operatorStepDownCommand,
  operatorMembersCommand,
  operatorUnsealCommand,
} from './commands/operator.js';
import { pluginCommands } from './commands/plugin.js';
import { printTokenCommand } from './commands/print.js';
import { versionCommand } from './commands/version.js';
import { policyFmtCommand } from './commands/policy-fmt.js';
import { policyDeleteCommand, policyListCommand, policyReadCommand, policyWriteCommand } from './commands/policy.js';
import {
  secretsDisableCommand,
  secretsEnableCommand,
  secretsListCommand,
  secretsMoveCommand,
  secretsTuneCommand,
} from './commands/secrets.js';
import { serverCommand } from './commands/server.js';
import { statusCommand } from './commands/status.js';
import { monitorCommand } from './commands/monitor.js';
import { tokenCreateCommand } from './commands/token-create.js';
import {
  tokenCapabilitiesCommand,
  tokenLookupCommand,
  tokenRenewCommand,
  tokenRevokeCommand,
} from './commands/token.js';
import { unwrapCommand } from './commands/unwrap.js';
import type { CommandIO } from './io.js';
import { UI, processIO } from './io.js';
import { columnize } from './output.js';

export type { CommandIO, TextSink, InputStream } from './io.js';

/** Every leaf command, in the order of the help listing. */
export const commands: Command[] = [
  ...logicalCommands,
  loginCommand,
  serverCommand,
  agentCommand,
  statusCommand,
  monitorCommand,
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
  kvRollbackCommand,
  kvEnableVersioningCommand,
  operatorInitCommand,
  operatorUnsealCommand,
  operatorSealCommand,
  operatorStepDownCommand,
  operatorMembersCommand,
  operatorRekeyCommand,
  operatorGenerateRootCommand,
  operatorRotateCommand,
  operatorKeyStatusCommand,
  operatorSnapshotSaveCommand,
  operatorSnapshotRestoreCommand,
  operatorMigrateCommand,
  secretsEnableCommand,
  secretsDisableCommand,
  secretsListCommand,
  secretsTuneCommand,
  secretsMoveCommand,
  ...authCommands,
  ...auditCommands,
  policyReadCommand,
  policyWriteCommand,
  policyListCommand,
  policyDeleteCommand,
  policyFmtCommand,
  ...pluginCommands,
  tokenCreateCommand,
  tokenLookupCommand,
  tokenRenewCommand,
  tokenRevokeCommand,
  tokenCapabilitiesCommand,
  leaseLookupCommand,
  leaseRenewCommand,
  leaseRevokeCommand,
  unwrapCommand,
  printTokenCommand,
  versionCommand,
];

/** Commands that only group subcommands, with their one-line description. */
const groups: Record<string, string> = {
  audit: 'Interact with audit devices',
  auth: 'Interact with auth methods',
  kv: 'Interact with the key/value secrets engine',
  'kv metadata': 'Interact with KV version 2 metadata',
  lease: 'Interact with leases',
  operator: 'Perform operator-specific tasks',
  'operator snapshot': 'Save and restore snapshots of the storage',
  plugin: 'Interact with plugins and the plugin catalog',
  policy: 'Interact with policies',
  print: 'Print the configuration the CLI runs with',
  secrets: 'Interact with secrets engines',
  token: 'Interact with tokens',
};

const commonCommands = ['read', 'write', 'delete', 'list', 'login', 'server', 'status'];

/** Indents every line of a column block by four spaces. */
function indent(block: string): string {
  return block.replace(/^/gm, '    ');
}

function topLevelHelp(): string {
  const synopsis = new Map(commands.map((command) => [command.name, command.synopsis]));
  const common = commonCommands.map((name) => [name, synopsis.get(name) ?? '']);
  const otherGroups = Object.keys(groups)
    .filter((name) => !name.includes(' '))
    .map((name) => [name, groups[name]]);
  const otherCommands = commands
    .filter((command) => !command.name.includes(' ') && !commonCommands.includes(command.name))
    .map((command) => [command.name, command.synopsis]);
  const other = [...otherGroups, ...otherCommands].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return [
    'Usage: coffer <command> [args]',
    '',
    'Common commands:',
    indent(columnize(common)),
    '',
    'Other commands:',
    indent(columnize(other)),
    '',
    'Run "coffer <command> -h" for the flags of a command. COFFER_ADDR and',
    'COFFER_TOKEN (or VAULT_ADDR and VAULT_TOKEN) set the server address and token.',
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
  const rows = [...children].map(([name, synopsis]) => [name, synopsis]);
  return [`Usage: coffer ${group} <subcommand> [options] [args]`, '', `  ${groups[group]}.`, '', 'Subcommands:', indent(columnize(rows))].join('\n');
}

const helpFlags = new Set(['-h', '-help', '--help']);

/** Flags that stand for the version command before any command, as Vault's CLI takes them. */
const versionFlags = new Set(['-v', '-version', '--version']);

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
  if (versionFlags.has(argv[0])) return runCommand(versionCommand, argv.slice(1), io);

  // Leading words name groups until one names a command. A word that does neither ends the search.
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
