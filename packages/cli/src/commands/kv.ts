// `coffer kv get`, `put`, `patch` and `list`.
import type { CofferClient } from '../client.js';
import { ResponseError } from '../client.js';
import type { Command, CommandContext } from '../command.js';
import { expectArguments, fieldFlag, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError } from '../flags.js';
import type { UI } from '../io.js';
import { headerForMap, outputData, outputSecret, printField, printWarnings } from '../output.js';
import type { Secret } from '../secret.js';
import { isEmptyResponse, parseData, printListResponse } from './logical.js';
import { kvV2Path, locateKvOrReport, mountFlag, printPathHeader } from './kv-paths.js';

/** Returns true for a JSON object, not an array or null. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Prints `-field` of a KV read: for version 2, the field of the secret's data. */
function printKvField(ui: UI, secret: Secret, v2: boolean, field: string, fullPath: string): number {
  if (!v2) return printField(ui, secret, field);
  const data = secret.data?.data;
  if (data === null || data === undefined) {
    ui.error(`No data found at ${fullPath}`);
    return 2;
  }
  if (field === 'data') {
    // "-field=data" means a key named "data" if the secret has one, else the whole data map.
    if (isRecord(data) && 'data' in data) return printField(ui, data, field);
    return printField(ui, secret, field);
  }
  return printField(ui, isRecord(data) ? data : {}, field);
}

/** Prints the response of a KV write: the version 2 metadata under the secret path, or the whole response. */
export function printWriteResult(ui: UI, secret: Secret | null, fullPath: string, field: string | undefined): number {
  if (secret === null || isEmptyResponse(secret)) {
    if (ui.format === 'table') ui.output(`Success! Data written to: ${fullPath}`);
    return 0;
  }
  if (field !== undefined) return printField(ui, secret, field);
  if (ui.format !== 'table' || secret.wrap_info) {
    outputSecret(ui, secret);
    return 0;
  }
  printPathHeader(ui, fullPath, 'Secret Path');
  const metadata = secret.data ?? {};
  ui.output(headerForMap('Metadata', metadata));
  outputData(ui, metadata);
  return 0;
}

export const kvGetCommand: Command = {
  name: 'kv get',
  synopsis: 'Retrieve data from the KV store',
  help: `
Usage: coffer kv get [options] KEY

  Retrieves the value at the given key of a KV secrets engine. For a KV
  version 2 mount, -version reads an older version.

      $ coffer kv get -mount=secret foo
      $ coffer kv get secret/foo
      $ coffer kv get -version=1 secret/foo`,
  flags: [
    ...httpFlags,
    fieldFlag,
    formatFlag,
    mountFlag,
    { name: 'version', kind: 'int', usage: 'Version to read, for a KV version 2 mount. The default is the latest.' },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const api = await client();
    const location = await locateKvOrReport(ui, api, args[0], flags.string('mount'));
    if (typeof location === 'number') return location;

    const fullPath = location.v2 ? kvV2Path(location, 'data') : location.path;
    const version = flags.int('version') ?? 0;
    const query = location.v2 && version > 0 ? { version: String(version) } : undefined;
    let secret: Secret | null;
    try {
      secret = await api.read(fullPath, query);
    } catch (error) {
      return reportApiError(ui, `Error reading ${fullPath}`, error);
    }
    if (secret === null) {
      ui.error(`No value found at ${fullPath}`);
      return 2;
    }

    if (flags.has('field')) return printKvField(ui, secret, location.v2, flags.string('field'), fullPath);
    if (secret.wrap_info || ui.format !== 'table') {
      outputSecret(ui, secret);
      return 0;
    }
    printKvSecretTable(ui, secret, location.v2, fullPath);
    return 0;
  },
};

function printKvSecretTable(ui: UI, secret: Secret, v2: boolean, fullPath: string): void {
  printWarnings(ui, secret);
  if (v2) printPathHeader(ui, fullPath, 'Secret Path');

  const metadata = v2 ? secret.data?.metadata : undefined;
  if (isRecord(metadata)) {
    ui.output(headerForMap('Metadata', metadata));
    outputData(ui, metadata);
    ui.output('');
  }

  const rawData = v2 ? secret.data?.data : secret.data;
  if (isRecord(rawData)) {
    ui.output(headerForMap('Data', rawData));
    outputData(ui, rawData);
  }
}

const casFlag = {
  name: 'cas',
  kind: 'int' as const,
  usage:
    'Check-and-set parameter for a KV version 2 mount: 0 writes only if the key does not exist, and N writes only ' +
    'if the current version is N. Without it, the write is unconditional unless the mount requires check-and-set.',
};

export const kvPutCommand: Command = {
  name: 'kv put',
  synopsis: 'Set or update data in the KV store',
  help: `
Usage: coffer kv put [options] KEY [DATA]

  Writes the data to the given key of a KV secrets engine, replacing what was
  there. On a KV version 2 mount, this creates a new version. Data is given as
  key=value pairs; a value that starts with "@" is read from that file, "-" as
  a value reads it from stdin, and a lone "-" reads a JSON object from stdin.

      $ coffer kv put -mount=secret foo bar=baz
      $ coffer kv put secret/foo bar=baz
      $ echo '{"bar": "baz"}' | coffer kv put secret/foo -`,
  flags: [...httpFlags, fieldFlag, formatFlag, mountFlag, casFlag],
  async run({ ui, io, args, flags, client }) {
    expectArguments(args, 1, Infinity);
    if (args.length === 1) {
      throw new UsageError(`Must supply data: give key=value pairs after the key, such as coffer kv put ${args[0]} foo=bar`);
    }
    const data = await parseData(args.slice(1), io.stdin);
    const api = await client();
    const location = await locateKvOrReport(ui, api, args[0], flags.string('mount'));
    if (typeof location === 'number') return location;

    let fullPath = location.path;
    let body: Record<string, unknown> = data;
    if (location.v2) {
      fullPath = kvV2Path(location, 'data');
      const cas = flags.int('cas');
      body = { data, options: cas !== undefined && cas > -1 ? { cas } : {} };
    }

    let secret: Secret | null;
    try {
      secret = await api.write(fullPath, body);
    } catch (error) {
      return reportApiError(ui, `Error writing data to ${fullPath}`, error);
    }
    return printWriteResult(ui, secret, fullPath, flags.has('field') ? flags.string('field') : undefined);
  },
};

/** Patches by reading the current version and writing the merged data back with check-and-set. */
async function readThenWrite(ui: UI, api: CofferClient, fullPath: string, changes: Record<string, unknown>): Promise<Secret | null | number> {
  let current: Secret | null;
  try {
    // The pre-read is never wrapped, so -wrap-ttl applies to the write that follows.
    current = await api.read(fullPath, undefined, { wrap: false });
  } catch (error) {
    return reportApiError(ui, `Error doing pre-read at ${fullPath}`, error);
  }
  const metadata = current?.data?.metadata;
  const data = current?.data?.data;
  if (current === null || !isRecord(metadata) || !isRecord(data)) {
    ui.error(`No value found at ${fullPath}; patch only works on existing data`);
    return 2;
  }

  const merged: Record<string, unknown> = { ...data };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  try {
    return await api.write(fullPath, { data: merged, options: { cas: metadata.version } });
  } catch (error) {
    return reportApiError(ui, `Error writing data to ${fullPath}`, error);
  }
}

/** Sends a JSON merge patch; without -method, falls back to read-then-write on 403 and 405 as Vault's CLI does. */
async function mergePatch(
  { ui, flags }: CommandContext,
  api: CofferClient,
  fullPath: string,
  changes: Record<string, unknown>,
): Promise<Secret | null | number> {
  const cas = flags.int('cas');
  const body = { data: changes, options: cas !== undefined && cas > 0 ? { cas } : {} };
  try {
    return await api.patch(fullPath, body);
  } catch (error) {
    const fallback = flags.string('method') === '' && error instanceof ResponseError;
    if (fallback && error.statusCode === 405) return readThenWrite(ui, api, fullPath, changes);
    if (fallback && error.statusCode === 403) {
      ui.warn(`Data was written to ${fullPath} by read-then-write; add the "patch" capability to the policy to use HTTP PATCH.`);
      return readThenWrite(ui, api, fullPath, changes);
    }
    return reportApiError(ui, `Error writing data to ${fullPath}`, error);
  }
}

export const kvPatchCommand: Command = {
  name: 'kv patch',
  synopsis: 'Set or update data in the KV store without overwriting',
  help: `
Usage: coffer kv patch [options] KEY [DATA]

  Changes some keys of the latest version of a secret on a KV version 2 mount
  and keeps the others, creating a new version. Data is given as for
  "coffer kv put"; -remove-data deletes keys.

      $ coffer kv patch -mount=secret foo bar=baz
      $ coffer kv patch -remove-data=bar secret/foo`,
  flags: [
    ...httpFlags,
    fieldFlag,
    formatFlag,
    mountFlag,
    casFlag,
    {
      name: 'method',
      kind: 'string',
      usage:
        'How to patch: "patch" sends an HTTP PATCH, "rw" reads the secret and writes the merged data back. ' +
        'The default tries "patch" and falls back to "rw" when the server or the policy does not allow PATCH.',
    },
    { name: 'remove-data', kind: 'list', usage: 'Keys to remove from the secret, comma-separated or by repeating the flag.' },
  ],
  async run(context) {
    const { ui, io, args, flags, client } = context;
    expectArguments(args, 1, Infinity);
    const removed = flags.list('remove-data');
    if (args.length === 1 && removed.length === 0) {
      throw new UsageError(`Must supply data: give key=value pairs after the key, or -remove-data=KEY`);
    }
    const method = flags.string('method');
    if (!['', 'patch', 'rw'].includes(method)) {
      throw new UsageError(`invalid value "${method}" for flag -method: use "patch" or "rw"`);
    }
    const changes = await parseData(args.slice(1), io.stdin);
    for (const key of removed) changes[key] = null;

    const api = await client();
    const location = await locateKvOrReport(ui, api, args[0], flags.string('mount'));
    if (typeof location === 'number') return location;
    if (!location.v2) {
      ui.error('K/V engine mount must be version 2 for patch support');
      return 2;
    }

    const fullPath = kvV2Path(location, 'data');
    const result = method === 'rw' ? await readThenWrite(ui, api, fullPath, changes) : await mergePatch(context, api, fullPath, changes);
    if (typeof result === 'number') return result;
    return printWriteResult(ui, result, fullPath, flags.has('field') ? flags.string('field') : undefined);
  },
};

export const kvListCommand: Command = {
  name: 'kv list',
  synopsis: 'List data or secrets',
  help: `
Usage: coffer kv list [options] PATH

  Lists the keys at the given path of a KV secrets engine. Keys that end in
  "/" are folders that hold more keys.

      $ coffer kv list -mount=secret my-app/
      $ coffer kv list secret/my-app/`,
  flags: [...httpFlags, formatFlag, mountFlag],
  async run({ ui, args, flags, client }) {
    const mount = flags.string('mount');
    expectArguments(args, mount === '' ? 1 : 0, 1);
    const api = await client();
    const location = await locateKvOrReport(ui, api, args[0] ?? '', mount);
    if (typeof location === 'number') return location;

    const fullPath = location.v2 ? kvV2Path(location, 'metadata') : location.path;
    let secret: Secret | null;
    try {
      secret = await api.list(fullPath);
    } catch (error) {
      return reportApiError(ui, `Error listing ${fullPath}`, error);
    }
    return printListResponse(ui, secret, fullPath);
  },
};
