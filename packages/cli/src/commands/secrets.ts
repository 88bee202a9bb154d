// `coffer secrets enable`, `disable`, `list`, `tune` and `move`.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CofferClient } from '../client.js';
import type { Command } from '../command.js';
import { expectArguments, formatFlag, httpFlags, reportApiError } from '../command.js';
import type { FlagSpec, ParsedFlags } from '../flags.js';
import type { UI } from '../io.js';
import { goValue } from '../output.js';
import { ensureTrailingSlash, sanitizePath } from '../paths.js';
import type { MountEntry } from './mount-table.js';
import { mountConfigFlags, mountConfigFromFlags } from './mount-config.js';
import { leaseColumn, mountTable, printMounts } from './mount-table.js';

/** Interval between the status requests that `secrets move` sends while a move runs. */
const movePollIntervalMs = 250;

const secretsWords = { ttlSubject: 'the leases of this secrets engine', mount: 'secrets engine' };

const descriptionFlag: FlagSpec = { name: 'description', kind: 'string', usage: 'Human-readable description of the mount.' };

const optionsFlag: FlagSpec = {
  name: 'options',
  kind: 'map',
  usage: 'Option of the engine as key=value, such as -options=version=2; repeat the flag for more options.',
};

const versionFlag: FlagSpec = {
  name: 'version',
  kind: 'int',
  usage: 'Version of the KV engine, 1 or 2; the same as -options=version=N.',
};

/** Builds the `options` map from -options and -version. */
function mountOptions(flags: ParsedFlags): Record<string, string> | undefined {
  const options = { ...flags.map('options') };
  const version = flags.int('version');
  if (version !== undefined && version > 0) options.version = String(version);
  return Object.keys(options).length > 0 ? options : undefined;
}

export const secretsEnableCommand: Command = {
  name: 'secrets enable',
  synopsis: 'Enable a secrets engine',
  help: `
Usage: coffer secrets enable [options] TYPE

  Enables a secrets engine of the given type at a path. The path defaults to
  the type. The type "kv-v2" enables a KV engine of version 2.

      $ coffer secrets enable -path=secret -version=2 kv
      $ coffer secrets enable kv-v2`,
  flags: [
    ...httpFlags,
    descriptionFlag,
    { name: 'path', kind: 'string', usage: 'Path where the engine is mounted. The default is the type.' },
    ...mountConfigFlags(secretsWords, 'Without it, the system default applies, and -1 also selects it.'),
    { name: 'force-no-cache', kind: 'bool', usage: 'Disable caching of responses from this engine.' },
    { name: 'local', kind: 'bool', usage: 'Keep the mount local to this cluster, out of replication.' },
    { name: 'seal-wrap', kind: 'bool', usage: 'Enable seal wrapping of critical values of this engine.' },
    optionsFlag,
    versionFlag,
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const engineType = args[0].trim();
    const mountPath = ensureTrailingSlash(sanitizePath(flags.string('path') || engineType));

    let type = engineType;
    let options = mountOptions(flags);
    if (type === 'kv-v2') {
      type = 'kv';
      options = { version: '2', ...options };
    }
    const config = mountConfigFromFlags(flags, false);
    if (flags.has('force-no-cache')) config.force_no_cache = flags.bool('force-no-cache');
    const body: Record<string, unknown> = { type, description: flags.string('description'), config };
    if (options !== undefined) body.options = options;
    if (flags.has('local')) body.local = flags.bool('local');
    if (flags.has('seal-wrap')) body.seal_wrap = flags.bool('seal-wrap');

    const api = await client();
    try {
      await api.request('POST', `sys/mounts/${mountPath}`, { body });
    } catch (error) {
      return reportApiError(ui, 'Error enabling', error);
    }
    ui.output(`Success! Enabled the ${engineType} secrets engine at: ${mountPath}`);
    return 0;
  },
};

export const secretsDisableCommand: Command = {
  name: 'secrets disable',
  synopsis: 'Disable a secrets engine',
  help: `
Usage: coffer secrets disable [options] PATH

  Disables the secrets engine at the given path. Its data is deleted and its
  leases are revoked.

      $ coffer secrets disable kv/`,
  flags: [...httpFlags],
  async run({ ui, args, client }) {
    expectArguments(args, 1);
    const mountPath = ensureTrailingSlash(sanitizePath(args[0]));
    const api = await client();
    try {
      await api.request('DELETE', `sys/mounts/${mountPath}`);
    } catch (error) {
      return reportApiError(ui, `Error disabling secrets engine at ${mountPath}`, error);
    }
    ui.output(`Success! Disabled the secrets engine (if it existed) at: ${mountPath}`);
    return 0;
  },
};

function detailedRow(path: string, mount: MountEntry): string[] {
  return [
    path,
    mount.type ?? '',
    mount.accessor ?? '',
    leaseColumn(mount.type, mount.config?.default_lease_ttl),
    leaseColumn(mount.type, mount.config?.max_lease_ttl),
    String(mount.config?.force_no_cache ?? false),
    mount.local ? 'local' : 'replicated',
    String(mount.seal_wrap ?? false),
    String(mount.external_entropy_access ?? false),
    mount.options ? goValue(mount.options) : 'map[]',
    mount.description ?? '',
    mount.uuid ?? '',
    mount.plugin_version ?? '',
    mount.running_plugin_version ?? '',
    mount.running_sha256 ?? '',
    mount.deprecation_status ?? '',
  ];
}

const detailedHeader = [
  'Path', 'Plugin', 'Accessor', 'Default TTL', 'Max TTL', 'Force No Cache', 'Replication', 'Seal Wrap',
  'External Entropy Access', 'Options', 'Description', 'UUID', 'Version', 'Running Version', 'Running SHA256',
  'Deprecation Status',
];

export const secretsListCommand: Command = {
  name: 'secrets list',
  synopsis: 'List enabled secrets engines',
  help: `
Usage: coffer secrets list [options]

  Lists the enabled secrets engines with their paths, types and descriptions.

      $ coffer secrets list
      $ coffer secrets list -detailed`,
  flags: [
    ...httpFlags,
    formatFlag,
    { name: 'detailed', kind: 'bool', usage: 'Print TTLs, options, replication and plugin versions of each mount.' },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 0);
    const api = await client();
    let mounts: Record<string, MountEntry>;
    try {
      mounts = mountTable((await api.request('GET', 'sys/mounts')).body);
    } catch (error) {
      return reportApiError(ui, 'Error listing secrets engines', error);
    }

    return printMounts(ui, mounts, flags.bool('detailed') ? { header: detailedHeader, row: detailedRow } : undefined);
  },
};

export const secretsTuneCommand: Command = {
  name: 'secrets tune',
  synopsis: 'Tune a secrets engine configuration',
  help: `
Usage: coffer secrets tune [options] PATH

  Changes the configuration of the secrets engine at the given path. Only the
  settings given as flags change.

      $ coffer secrets tune -default-lease-ttl=72h pki/
      $ coffer secrets tune -options=version=2 secret/`,
  flags: [
    ...httpFlags,
    descriptionFlag,
    ...mountConfigFlags(secretsWords, '0 leaves it unchanged, and -1 resets it to the system default.'),
    optionsFlag,
    versionFlag,
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const mountPath = ensureTrailingSlash(sanitizePath(args[0]));
    const body = mountConfigFromFlags(flags, true);
    if (flags.has('description')) body.description = flags.string('description');
    const options = mountOptions(flags);
    if (options !== undefined) body.options = options;

    const api = await client();
    try {
      await api.request('POST', `sys/mounts/${mountPath}tune`, { body });
    } catch (error) {
      return reportApiError(ui, `Error tuning secrets engine ${mountPath}`, error);
    }
    ui.output(`Success! Tuned the secrets engine at: ${mountPath}`);
    return 0;
  },
};

/** Polls `sys/remount/status/<id>` until the move succeeds or fails; returns the exit code. */
async function waitForMove(ui: UI, api: CofferClient, migrationId: string, source: string, destination: string): Promise<number> {
  for (;;) {
    let status: string | undefined;
    try {
      const body = (await api.request('GET', `sys/remount/status/${migrationId}`)).body as {
        data?: { migration_info?: { status?: string } };
      };
      status = body?.data?.migration_info?.status;
    } catch (error) {
      return reportApiError(ui, `Error checking the status of moving secrets engine ${source} to ${destination}`, error);
    }
    if (status === 'success') {
      ui.output(`Success! Finished moving secrets engine ${source} to ${destination}, with migration ID ${migrationId}`);
      return 0;
    }
    if (status === 'failure') {
      ui.error(`Failure! Error encountered moving secrets engine ${source} to ${destination}, with migration ID ${migrationId}`);
      return 2;
    }
    await sleep(movePollIntervalMs);
  }
}

export const secretsMoveCommand: Command = {
  name: 'secrets move',
  synopsis: 'Move a secrets engine to a new path',
  help: `
Usage: coffer secrets move [options] SOURCE DESTINATION

  Moves the secrets engine at SOURCE to DESTINATION, with its data. Leases
  issued under the old path are revoked.

      $ coffer secrets move secret/ generic/`,
  flags: [...httpFlags],
  async run({ ui, args, client }) {
    expectArguments(args, 2);
    const source = ensureTrailingSlash(sanitizePath(args[0]));
    const destination = ensureTrailingSlash(sanitizePath(args[1]));
    const api = await client();

    let migrationId: unknown;
    try {
      const body = (await api.request('POST', 'sys/remount', { body: { from: source, to: destination } })).body as
        | { data?: { migration_id?: unknown } }
        | undefined;
      migrationId = body?.data?.migration_id;
    } catch (error) {
      return reportApiError(ui, `Error moving secrets engine ${source} to ${destination}`, error);
    }
    if (typeof migrationId !== 'string' || migrationId === '') {
      ui.output(`Success! Moved secrets engine ${source} to: ${destination}`);
      return 0;
    }
    ui.output(`Started moving secrets engine ${source} to ${destination}, with migration ID ${migrationId}`);
    return waitForMove(ui, api, migrationId, source, destination);
  },
};
