// The shape of a command, its shared flags, and the run step that turns
// errors into Vault's exit codes: 1 for a local error, 2 for the server's.
import {
  CofferClient,
  ConfigError,
  ConnectionError,
  CurlCommandRequested,
  ResponseError,
  ResponseWrapped,
  envSetting,
  resolveClientConfig,
} from './client.js';
import type { FlagSpec, ParsedFlags } from './flags.js';
import { HelpRequested, UsageError, formatGoDuration, parseFlags } from './flags.js';
import type { CommandIO, OutputFormat } from './io.js';
import { UI } from './io.js';
import { outputSecret, printField, wrapAtLength } from './output.js';

/** Arguments of a command's run function. */
export interface CommandContext {
  io: CommandIO;
  ui: UI;
  flags: ParsedFlags;
  /** Positional arguments. */
  args: string[];
  /** Builds the API client from the HTTP flags, the environment and the token file. */
  client(): Promise<CofferClient>;
}

/** One leaf command such as `kv get`. */
export interface Command {
  /** Words after `coffer`, such as "kv get". */
  name: string;
  /** One line for the command list. */
  synopsis: string;
  /** Help text above the flag list, starting with the "Usage:" line. */
  help: string;
  flags: FlagSpec[];
  /** True for the command that takes -format=raw and prints the response body as sent, as only `read` does. */
  rawFormat?: boolean;
  /** Runs the command and returns its exit code. */
  run(context: CommandContext): Promise<number>;
}

/** Flags of every command that talks to a server. */
export const httpFlags: FlagSpec[] = [
  {
    name: 'address',
    kind: 'string',
    group: 'HTTP Options',
    usage: 'Address of the server, such as http://127.0.0.1:8200. The default is https://127.0.0.1:8200. COFFER_ADDR or VAULT_ADDR also set it.',
  },
  {
    name: 'ca-cert',
    kind: 'string',
    group: 'HTTP Options',
    usage: 'Path to a PEM file of CA certificates that verify the server certificate. COFFER_CACERT or VAULT_CACERT also set it.',
  },
  {
    name: 'ca-path',
    kind: 'string',
    group: 'HTTP Options',
    usage: 'Path to a folder of PEM files of CA certificates that verify the server certificate. -ca-cert takes precedence. COFFER_CAPATH or VAULT_CAPATH also set it.',
  },
  {
    name: 'client-cert',
    kind: 'string',
    group: 'HTTP Options',
    usage: 'Path to a PEM file of the client certificate to present, for a listener that requires one; -client-key is then required too. COFFER_CLIENT_CERT or VAULT_CLIENT_CERT also set it.',
  },
  {
    name: 'client-key',
    kind: 'string',
    group: 'HTTP Options',
    usage: 'Path to a PEM file of the private key of -client-cert. COFFER_CLIENT_KEY or VAULT_CLIENT_KEY also set it.',
  },
  {
    name: 'tls-server-name',
    kind: 'string',
    group: 'HTTP Options',
    usage: 'Name to send as SNI and to check in the server certificate, in place of the host of the address. COFFER_TLS_SERVER_NAME or VAULT_TLS_SERVER_NAME also set it.',
  },
  {
    name: 'tls-skip-verify',
    kind: 'bool',
    group: 'HTTP Options',
    usage: 'Skip verification of the server certificate. This is insecure. COFFER_SKIP_VERIFY or VAULT_SKIP_VERIFY also set it.',
  },
  {
    name: 'wrap-ttl',
    kind: 'duration',
    group: 'HTTP Options',
    usage:
      'Ask the server to wrap the response in a single-use token that lives for this duration, such as 30s or 5m. ' +
      'The command then prints the wrapping token, which "coffer unwrap" exchanges for the response. ' +
      'COFFER_WRAP_TTL or VAULT_WRAP_TTL also set it.',
  },
  {
    name: 'header',
    kind: 'map',
    group: 'HTTP Options',
    usage: 'HTTP header to add to every request, as name=value; repeat the flag for more headers. Names that start with X-Vault- are rejected.',
  },
  {
    name: 'non-interactive',
    kind: 'bool',
    group: 'HTTP Options',
    usage: 'Never prompt on the terminal: a value the command would prompt for is an error instead.',
  },
  {
    name: 'output-curl-string',
    kind: 'bool',
    group: 'HTTP Options',
    usage:
      'Print a curl command that sends the same request, in place of sending it, and exit. ' +
      'The command reads the token from "coffer print token" rather than showing it.',
  },
];

/** The `-format` flag. */
export const formatFlag: FlagSpec = {
  name: 'format',
  kind: 'string',
  group: 'Output Options',
  defaultText: 'table',
  usage: 'Print the output in the given format: "table", "json" or "yaml". COFFER_FORMAT or VAULT_FORMAT also set it.',
};

/** The `-field` flag. */
export const fieldFlag: FlagSpec = {
  name: 'field',
  kind: 'string',
  group: 'Output Options',
  usage: 'Print only the value of the named field, with no trailing newline when stdout is not a terminal.',
};

/**
 * Checks the number of positional arguments.
 *
 * @throws UsageError in the wording of Vault's CLI, such as "Not enough arguments (expected 1, got 0)".
 */
export function expectArguments(args: string[], min: number, max: number = min): void {
  let expected = `${min}-${max}`;
  if (min === max) expected = String(min);
  else if (max === Infinity) expected = `${min} or more`;
  if (args.length < min) throw new UsageError(`Not enough arguments (expected ${expected}, got ${args.length})`);
  if (args.length > max) throw new UsageError(`Too many arguments (expected ${expected}, got ${args.length})`);
}

/**
 * Prints an error that the server returned or a failed connection, prefixed
 * with what the command was doing, and returns exit code 2. Any other error
 * is thrown again.
 */
export function reportApiError(ui: UI, prefix: string, error: unknown): number {
  if (error instanceof ResponseError || error instanceof ConnectionError) {
    ui.error(prefix === '' ? error.message : `${prefix}: ${error.message}`);
    return 2;
  }
  throw error;
}

function outputFormat(flags: ParsedFlags, io: CommandIO, rawAllowed: boolean): OutputFormat {
  const requested = flags.has('format') ? flags.string('format') : (envSetting(io.env, 'FORMAT') ?? 'table');
  const format = requested.toLowerCase();
  if (format === 'table' || format === 'json' || format === 'yaml') return format;
  // Vault's CLI takes "yml" as another name for "yaml".
  if (format === 'yml') return 'yaml';
  if (format === 'raw') {
    if (rawAllowed) return 'raw';
    throw new UsageError(`invalid value "${requested}" for flag -format: only "coffer read" prints the raw response`);
  }
  throw new UsageError(`invalid value "${requested}" for flag -format: supported formats are "table", "json" and "yaml"`);
}

/** Formats a command's help: its text, then its flags grouped under headings. */
export function commandHelp(command: Command): string {
  const groups = new Map<string, FlagSpec[]>();
  for (const flag of command.flags) {
    const group = flag.group ?? 'Command Options';
    groups.set(group, [...(groups.get(group) ?? []), flag]);
  }

  const sections = [command.help.trim()];
  for (const [group, flags] of groups) {
    const lines = [`${group}:`];
    for (const flag of flags) {
      const value = flag.kind === 'bool' ? '' : `=<${flagValueName(flag)}>`;
      const defaultText = flag.defaultText === undefined ? '' : ` The default is ${flag.defaultText}.`;
      lines.push('', `  -${flag.name}${value}`, wrapAtLength(flag.usage + defaultText, 6));
    }
    sections.push(lines.join('\n'));
  }
  return sections.join('\n\n');
}

function flagValueName(flag: FlagSpec): string {
  switch (flag.kind) {
    case 'int':
      return 'int';
    case 'duration':
      return 'duration';
    case 'map':
      return 'key=value';
    default:
      return 'string';
  }
}

/** Reads -header, rejecting the X-Vault- headers, which the client sets itself. */
function headerFlag(flags: ParsedFlags): Record<string, string> {
  const headers = flags.map('header');
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase().startsWith('x-vault-')) {
      throw new UsageError(
        `invalid value "${name}" for flag -header: headers that start with X-Vault- are reserved for the CLI; set the token with COFFER_TOKEN and wrapping with -wrap-ttl`,
      );
    }
  }
  return headers;
}

/** Reads -wrap-ttl; undefined when it was not given, so the environment decides. */
function wrapTtlFlag(flags: ParsedFlags): number | undefined {
  const seconds = flags.duration('wrap-ttl');
  if (seconds !== undefined && seconds < 0) {
    throw new UsageError(
      `invalid value "${formatGoDuration(seconds)}" for flag -wrap-ttl: the duration is negative; use a positive duration such as 5m, or 0 for no wrapping`,
    );
  }
  return seconds;
}

/**
 * Prints a wrapped response in place of the command's own output: the
 * wrapping token and its properties in a table, the whole response as JSON,
 * or one field with -field. Returns the exit code.
 */
function printWrappedResponse(ui: UI, flags: ParsedFlags | undefined, wrapped: ResponseWrapped): number {
  if (flags?.has('field') === true) return printField(ui, wrapped.secret, flags.string('field'));
  outputSecret(ui, wrapped.secret);
  return 0;
}

/** Parses flags, runs the command and maps what it throws to an exit code. */
export async function runCommand(command: Command, argv: string[], io: CommandIO): Promise<number> {
  let ui = new UI(io);
  // Kept outside the try block, so a wrapped response can be printed with -field.
  let parsedFlags: ParsedFlags | undefined;
  try {
    const flags = parseFlags(argv, command.flags);
    parsedFlags = flags;
    if (command.flags.some((flag) => flag.name === 'format')) ui = new UI(io, outputFormat(flags, io, command.rawFormat === true));
    if (flags.trailingFlags.length > 0) {
      ui.warn(
        wrapAtLength(
          `Flags must come before positional arguments. These arguments were not parsed as flags: [${flags.trailingFlags.join(',')}]`,
        ),
      );
    }

    const context: CommandContext = {
      io: flags.bool('non-interactive') ? { ...io, nonInteractive: true } : io,
      ui,
      flags,
      args: flags.args,
      client: async () =>
        new CofferClient(
          await resolveClientConfig(io.env, {
            address: flags.string('address'),
            caCertPath: flags.string('ca-cert'),
            caPath: flags.string('ca-path'),
            clientCertPath: flags.string('client-cert'),
            clientKeyPath: flags.string('client-key'),
            tlsServerName: flags.string('tls-server-name'),
            skipVerify: flags.bool('tls-skip-verify'),
            wrapTtl: wrapTtlFlag(flags),
            outputCurlString: flags.bool('output-curl-string'),
            headers: headerFlag(flags),
          }),
        ),
    };
    return await command.run(context);
  } catch (error) {
    if (error instanceof ResponseWrapped) return printWrappedResponse(ui, parsedFlags, error);
    if (error instanceof CurlCommandRequested) {
      ui.output(error.command);
      return 0;
    }
    if (error instanceof HelpRequested) {
      ui.output(commandHelp(command));
      return 0;
    }
    if (error instanceof UsageError || error instanceof ConfigError) {
      ui.error(error.message);
      return 1;
    }
    if (error instanceof ResponseError || error instanceof ConnectionError) {
      ui.error(error.message);
      return 2;
    }
    ui.error(`Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}
