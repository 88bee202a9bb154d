// `coffer read`, `write`, `delete` and `list`: requests on raw API paths.
import type { CofferClient } from '../client.js';
import type { Command, CommandContext } from '../command.js';
import { expectArguments, fieldFlag, formatFlag, httpFlags, reportApiError } from '../command.js';
import type { InputStream, UI } from '../io.js';
import type { FlagSpec } from '../flags.js';
import { UsageError, parseKeyValueArgs } from '../flags.js';
import { outputData, outputList, outputSecret, printField } from '../output.js';
import { ensureTrailingSlash, sanitizePath } from '../paths.js';
import type { Secret } from '../secret.js';

/** Parses `key=value` arguments, naming the failure as Vault's CLI does. */
export async function parseData(args: string[], stdin: InputStream): Promise<Record<string, unknown>> {
  try {
    return await parseKeyValueArgs(args, stdin);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`Failed to parse K=V data: ${error.message}`);
    throw error;
  }
}

/** Converts parsed `key=value` data to query parameters. */
function toQuery(data: Record<string, unknown>): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(data)) {
    query[key] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return query;
}

/** Returns true when a response has nothing to print: no data, auth, wrapping or warnings. */
export function isEmptyResponse(secret: Secret): boolean {
  return (
    Object.keys(secret.data ?? {}).length === 0 &&
    !secret.auth &&
    !secret.wrap_info &&
    (secret.warnings?.length ?? 0) === 0
  );
}

export const readCommand: Command = {
  name: 'read',
  synopsis: 'Read data and retrieve secrets',
  help: `
Usage: coffer read [options] PATH [K=V...]

  Reads data from the server at the given path. Key=value arguments are sent
  as query parameters.

      $ coffer read secret/my-secret

  For a KV version 2 mount, "coffer kv get" prints the data more plainly.`,
  flags: [...httpFlags, fieldFlag, formatFlag],
  rawFormat: true,
  async run({ ui, args, flags, io, client }) {
    expectArguments(args, 1, Infinity);
    const path = sanitizePath(args[0]);
    const query = args.length > 1 ? toQuery(await parseData(args.slice(1), io.stdin)) : undefined;

    const api = await client();
    if (ui.format === 'raw') return readRaw(ui, api, path, query);
    let secret: Secret | null;
    try {
      secret = await api.read(path, query);
    } catch (error) {
      return reportApiError(ui, `Error reading ${path}`, error);
    }
    if (secret === null) {
      ui.error(`No value found at ${path}`);
      return 2;
    }

    if (flags.has('field')) return printField(ui, secret, flags.string('field'));
    outputSecret(ui, secret);
    return 0;
  },
};

/** Prints the body of a read as the server sent it, for -format=raw. */
async function readRaw(ui: UI, api: CofferClient, path: string, query: Record<string, string | string[]> | undefined): Promise<number> {
  let body: Buffer;
  try {
    body = await api.readBytes(path, query);
  } catch (error) {
    return reportApiError(ui, `Error reading ${path}`, error);
  }
  ui.output(body.toString('utf8'));
  return 0;
}

export const writeCommand: Command = {
  name: 'write',
  synopsis: 'Write data, configuration and secrets',
  help: `
Usage: coffer write [options] PATH [DATA K=V...]

  Writes data to the server at the given path. Data is given as key=value
  pairs. A value that starts with "@" is read from that file, and a value of
  "-" is read from stdin. A lone "-" reads a JSON object from stdin.

      $ coffer write secret/my-secret foo=bar
      $ coffer write secret/my-secret certificate=@cert.pem
      $ echo '{"foo": "bar"}' | coffer write secret/my-secret -`,
  flags: dataFlags('Send the request even when no data is given, for endpoints that take none.'),
  run: (context) => sendData(context, 'PUT', 'write no data'),
};

export const patchCommand: Command = {
  name: 'patch',
  synopsis: 'Patch data, configuration and secrets',
  help: `
Usage: coffer patch [options] PATH [DATA K=V...]

  Changes only the given fields of the data at the given path, with an HTTP
  PATCH request in the JSON merge patch format (RFC 7396), where "coffer
  write" replaces the data. The endpoint must support PATCH. Data is given
  as "coffer write" takes it.

      $ coffer patch pki/roles/example allow_localhost=false
      $ echo '{"data": {"port": "6543"}}' | coffer patch secret/data/app -`,
  flags: dataFlags('Send the request even when no data is given.'),
  run: (context) => sendData(context, 'PATCH', 'send no data'),
};

/** Returns the flags of the commands that send key=value data: output options and -force. */
function dataFlags(forceUsage: string): FlagSpec[] {
  return [...httpFlags, fieldFlag, formatFlag, { name: 'force', kind: 'bool', aliases: ['f'], usage: forceUsage }];
}

/**
 * Sends the key=value data of `write` or `patch` to the path and prints the
 * response, or "Success!" for an empty one. `forceHint` completes the
 * message for missing data.
 */
async function sendData({ ui, args, flags, io, client }: CommandContext, method: 'PUT' | 'PATCH', forceHint: string): Promise<number> {
  expectArguments(args, 1, Infinity);
  if (args.length === 1 && !flags.bool('force')) {
    throw new UsageError(`Must supply data or use -force: give key=value pairs after the path, or -force to ${forceHint}`);
  }
  const path = sanitizePath(args[0]);
  const data = await parseData(args.slice(1), io.stdin);

  const api = await client();
  let secret: Secret | null;
  try {
    secret = method === 'PATCH' ? await api.patch(path, data) : await api.write(path, data);
  } catch (error) {
    return reportApiError(ui, `Error writing data to ${path}`, error);
  }

  if (secret === null || isEmptyResponse(secret)) {
    if (ui.format === 'table') ui.output(`Success! Data written to: ${path}`);
    return 0;
  }
  if (flags.has('field')) return printField(ui, secret, flags.string('field'));
  outputSecret(ui, secret);
  return 0;
}

export const deleteCommand: Command = {
  name: 'delete',
  synopsis: 'Delete secrets and configuration',
  help: `
Usage: coffer delete [options] PATH [K=V...]

  Deletes the data at the given path. Key=value arguments are sent as query
  parameters. The command succeeds whether or not data existed at the path.

      $ coffer delete secret/my-secret`,
  flags: [...httpFlags],
  async run({ ui, args, io, client }) {
    expectArguments(args, 1, Infinity);
    const path = sanitizePath(args[0]);
    const query = args.length > 1 ? toQuery(await parseData(args.slice(1), io.stdin)) : undefined;

    const api = await client();
    try {
      await api.delete(path, query);
    } catch (error) {
      return reportApiError(ui, `Error deleting ${path}`, error);
    }
    ui.output(`Success! Data deleted (if it existed) at: ${path}`);
    return 0;
  },
};

export const listCommand: Command = {
  name: 'list',
  synopsis: 'List data or secrets',
  help: `
Usage: coffer list [options] PATH

  Lists the keys under the given path. Keys that end in "/" are folders that
  hold more keys.

      $ coffer list secret/`,
  flags: [...httpFlags, formatFlag],
  async run({ ui, args, client }) {
    expectArguments(args, 1);
    const path = ensureTrailingSlash(sanitizePath(args[0]));

    const api = await client();
    let secret: Secret | null;
    try {
      secret = await api.list(path);
    } catch (error) {
      return reportApiError(ui, `Error listing ${path}`, error);
    }
    return printListResponse(ui, secret, path);
  },
};

/** Prints a LIST response as `vault list` does; returns 2 when there is nothing at the path. */
export function printListResponse(ui: UI, secret: Secret | null, path: string): number {
  const keys = secret?.data?.keys;
  if (ui.format !== 'table' && (secret === null || secret.data === null || !Array.isArray(keys))) {
    outputData(ui, {});
    return 2;
  }
  if (secret === null || secret.data === null) {
    ui.error(`No value found at ${path}`);
    return 2;
  }
  if (!Array.isArray(keys)) {
    ui.error(`No entries found at ${path}`);
    return 2;
  }
  outputList(ui, secret, keys);
  return 0;
}

export const pathHelpCommand: Command = {
  name: 'path-help',
  synopsis: 'Retrieve API help for paths',
  help: `
Usage: coffer path-help [options] PATH

  Prints the help the server gives for an API path: what it does and the
  parameters it takes. The path need not exist yet; the mount that serves it
  answers.

      $ coffer path-help secret/data/app
      $ coffer path-help sys/mounts`,
  flags: [...httpFlags, formatFlag],
  async run({ ui, args, client }) {
    expectArguments(args, 1);
    const path = sanitizePath(args[0]);

    const api = await client();
    let data: Record<string, unknown>;
    try {
      const body = (await api.request('GET', path, { query: { help: '1' } })).body as { data?: Record<string, unknown> } | undefined;
      data = body?.data ?? {};
    } catch (error) {
      return reportApiError(ui, 'Error retrieving help', error);
    }

    if (ui.format !== 'table') {
      outputData(ui, data);
      return 0;
    }
    ui.output(typeof data.help === 'string' ? data.help : '');
    return 0;
  },
};

export const logicalCommands: Command[] = [readCommand, writeCommand, patchCommand, deleteCommand, listCommand, pathHelpCommand];
