// `coffer auth enable`, `disable`, `list`, `tune` and `help`: managing auth
// method mounts through sys/auth.
import type { Command } from '../command.js';
import { expectArguments, formatFlag, httpFlags, reportApiError } from '../command.js';
import type { FlagSpec } from '../flags.js';
import { goValue, wrapAtLength } from '../output.js';
import { ensureTrailingSlash, sanitizePath } from '../paths.js';
import { loginMethods } from './login-methods.js';
import { mountConfigFlags, mountConfigFromFlags } from './mount-config.js';
import type { MountEntry } from './mount-table.js';
import { leaseColumn, mountTable, printMounts } from './mount-table.js';

/** The -token-type flag of `auth enable` and `auth tune`, which only auth mounts have. */
const tokenTypeFlag: FlagSpec = {
  name: 'token-type',
  kind: 'string',
  usage:
    'Type of the tokens the auth method issues: "default-service" or "default-batch" apply unless the method asks for a type, ' +
    '"service" or "batch" apply whatever it asks.',
};

const descriptionFlag: FlagSpec = { name: 'description', kind: 'string', usage: 'Human-readable description of the auth method.' };

const optionsFlag: FlagSpec = {
  name: 'options',
  kind: 'map',
  usage: 'Option of the auth method as key=value; repeat the flag for more options.',
};

const authWords = { ttlSubject: 'the tokens this auth method issues', mount: 'auth method' };

export const authEnableCommand: Command = {
  name: 'auth enable',
  synopsis: 'Enable a new auth method',
  help: `
Usage: coffer auth enable [options] TYPE

  Enables an auth method of the given type at a path, under auth/. The path
  defaults to the type. Most auth methods need configuration after they are
  enabled, written with "coffer write auth/PATH/...".

      $ coffer auth enable userpass
      $ coffer auth enable -path=people -description="Staff logins" userpass
      $ coffer write auth/userpass/users/alice password=... policies=default`,
  flags: [
    ...httpFlags,
    descriptionFlag,
    { name: 'path', kind: 'string', usage: 'Path where the auth method is enabled, under auth/. The default is the type.' },
    ...mountConfigFlags(authWords, 'Without it, the system default applies.'),
    tokenTypeFlag,
    { name: 'local', kind: 'bool', usage: 'Keep the auth method local to this cluster, out of replication.' },
    { name: 'seal-wrap', kind: 'bool', usage: 'Enable seal wrapping of critical values of this auth method.' },
    optionsFlag,
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const authType = args[0].trim();
    const mountPath = ensureTrailingSlash(sanitizePath(flags.string('path') || authType));

    const config = mountConfigFromFlags(flags, false);
    if (flags.has('token-type')) config.token_type = flags.string('token-type');
    const body: Record<string, unknown> = { type: authType, description: flags.string('description'), config };
    const options = flags.map('options');
    if (Object.keys(options).length > 0) body.options = options;
    if (flags.has('local')) body.local = flags.bool('local');
    if (flags.has('seal-wrap')) body.seal_wrap = flags.bool('seal-wrap');

    const api = await client();
    try {
      await api.request('POST', `sys/auth/${mountPath}`, { body });
    } catch (error) {
      return reportApiError(ui, `Error enabling ${authType} auth`, error);
    }
    ui.output(`Success! Enabled ${authType} auth method at: ${mountPath}`);
    return 0;
  },
};

export const authDisableCommand: Command = {
  name: 'auth disable',
  synopsis: 'Disable an auth method',
  help: `
Usage: coffer auth disable [options] PATH

  Disables the auth method at the given path. Its configuration is deleted
  and every token it issued is revoked.

      $ coffer auth disable userpass/`,
  flags: [...httpFlags],
  async run({ ui, args, client }) {
    expectArguments(args, 1);
    const mountPath = ensureTrailingSlash(sanitizePath(args[0]));
    const api = await client();
    try {
      await api.request('DELETE', `sys/auth/${mountPath}`);
    } catch (error) {
      return reportApiError(ui, `Error disabling auth method at ${mountPath}`, error);
    }
    ui.output(`Success! Disabled the auth method (if it existed) at: ${mountPath}`);
    return 0;
  },
};

const detailedHeader = [
  'Path', 'Plugin', 'Accessor', 'Default TTL', 'Max TTL', 'Token Type', 'Replication', 'Seal Wrap',
  'External Entropy Access', 'Options', 'Description', 'UUID', 'Version', 'Running Version', 'Running SHA256',
  'Deprecation Status',
];

function detailedRow(path: string, mount: MountEntry): string[] {
  return [
    path,
    mount.type ?? '',
    mount.accessor ?? '',
    leaseColumn(mount.type, mount.config?.default_lease_ttl),
    leaseColumn(mount.type, mount.config?.max_lease_ttl),
    mount.config?.token_type ?? '',
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

export const authListCommand: Command = {
  name: 'auth list',
  synopsis: 'List enabled auth methods',
  help: `
Usage: coffer auth list [options]

  Lists the enabled auth methods with their paths, types and descriptions.
  With -detailed, it also prints TTLs, options and replication. A TTL of
  "system" means the system default applies.

      $ coffer auth list
      $ coffer auth list -detailed`,
  flags: [
    ...httpFlags,
    formatFlag,
    {
      name: 'detailed',
      kind: 'bool',
      usage: 'Print TTLs, options, replication and plugin versions of each auth method. Applies to the table format only.',
    },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 0);
    const api = await client();
    let mounts: Record<string, MountEntry>;
    try {
      mounts = mountTable((await api.request('GET', 'sys/auth')).body);
    } catch (error) {
      return reportApiError(ui, 'Error listing enabled authentications', error);
    }

    return printMounts(ui, mounts, flags.bool('detailed') ? { header: detailedHeader, row: detailedRow } : undefined);
  },
};

export const authTuneCommand: Command = {
  name: 'auth tune',
  synopsis: 'Tune an auth method configuration',
  help: `
Usage: coffer auth tune [options] PATH

  Changes the configuration of the auth method at the given path, not of a
  type. Only the settings given as flags change; "coffer read
  sys/auth/PATH/tune" prints the current ones.

      $ coffer auth tune -default-lease-ttl=72h github/
      $ coffer auth tune -default-lease-ttl=-1 github/`,
  flags: [...httpFlags, descriptionFlag, ...mountConfigFlags(authWords, '0 leaves it unchanged, and -1 resets it to the system default.'), tokenTypeFlag, optionsFlag],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const mountPath = ensureTrailingSlash(sanitizePath(args[0]));
    const body = mountConfigFromFlags(flags, true);
    if (flags.has('token-type')) body.token_type = flags.string('token-type');
    if (flags.has('description')) body.description = flags.string('description');
    const options = flags.map('options');
    if (Object.keys(options).length > 0) body.options = options;

    const api = await client();
    try {
      await api.request('POST', `sys/auth/${mountPath}tune`, { body });
    } catch (error) {
      return reportApiError(ui, `Error tuning auth method ${mountPath}`, error);
    }
    ui.output(`Success! Tuned the auth method at: ${mountPath}`);
    return 0;
  },
};

export const authHelpCommand: Command = {
  name: 'auth help',
  synopsis: 'Print usage for an auth method',
  help: `
Usage: coffer auth help [options] TYPE | PATH

  Prints how to log in with an auth method: the key=value pairs that
  "coffer login -method=TYPE" takes. The argument is a method type, such as
  userpass, or the path where an auth method is enabled, whose type the
  command looks up with the server.

      $ coffer auth help userpass
      $ coffer auth help people/`,
  flags: [...httpFlags],
  async run({ ui, args, client }) {
    expectArguments(args, 1);
    const authType = args[0].trim();
    const known = loginMethods[authType];
    if (known !== undefined) {
      ui.output(known.help.trim());
      return 0;
    }

    const api = await client();
    let mounts: Record<string, MountEntry>;
    try {
      mounts = mountTable((await api.request('GET', 'sys/auth')).body);
    } catch (error) {
      return reportApiError(ui, 'Error listing auth methods', error);
    }
    const mountPath = ensureTrailingSlash(sanitizePath(authType));
    const mount = mounts[mountPath];
    if (mount === undefined) {
      ui.error(`No auth method available on the server at "${mountPath}"; "coffer auth list" lists the enabled ones`);
      return 1;
    }
    const method = loginMethods[mount.type ?? ''];
    if (method === undefined) {
      ui.error(
        wrapAtLength(
          `No method-specific CLI handler available for auth method "${authType}" of type "${mount.type ?? ''}": log in with "coffer write auth/${mountPath}login ..."`,
        ),
      );
      return 2;
    }
    ui.output(method.help.trim());
    return 0;
  },
};

export const authCommands: Command[] = [authEnableCommand, authDisableCommand, authListCommand, authTuneCommand, authHelpCommand];
