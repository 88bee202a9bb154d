// `coffer plugin register`, `list`, `info`, `deregister` and `reload`:
// the external plugin catalog at sys/plugins/catalog and the reload of
// mounted plugin backends at sys/plugins/reload/backend.
import type { Command } from '../command.js';
import { expectArguments, fieldFlag, formatFlag, httpFlags, reportApiError } from '../command.js';
import type { FlagSpec } from '../flags.js';
import { UsageError } from '../flags.js';
import type { UI } from '../io.js';
import { structuredText, outputData, printField, printWarnings, table } from '../output.js';
import type { Secret } from '../secret.js';
import { pluginKitCommands } from './plugin-kit.js';

/** Plugin types that Vault's CLI accepts; the server rejects the ones it does not run. */
const pluginTypes = ['auth', 'database', 'secret'];

/**
 * Types that register, info and deregister accept: Vault's types and Coffer's
 * `audit`. `GET sys/plugins/catalog` leaves audit plugins out to keep
 * Vault's shape, so `plugin list` accepts only Vault's types.
 */
const catalogEntryTypes = ['audit', ...pluginTypes];

/** One plugin of the `detailed` list of `GET sys/plugins/catalog`. */
interface PluginDetails {
  name: string;
  type: string;
  version: string;
  builtin: boolean;
  sha256?: string;
}

const versionFlag: FlagSpec = {
  name: 'version',
  kind: 'string',
  usage: 'Semantic version of the plugin, such as v1.2.0. Without it, the command acts on the unversioned entry.',
};

/**
 * Checks the TYPE argument of a command on one catalog entry, before any
 * request. Prints the error and returns false for a type that is not a
 * plugin type.
 */
function checkEntryType(ui: UI, type: string): boolean {
  if (catalogEntryTypes.includes(type)) return true;
  ui.error(`Error parsing type: "${type}" is not a supported plugin type; use "audit", "auth", "database" or "secret"`);
  return false;
}

/**
 * Checks the TYPE argument of `plugin list` as Vault's CLI does, before any
 * request. Prints the error and returns false for a type the list does not
 * contain.
 */
function checkListType(ui: UI, type: string): boolean {
  if (pluginTypes.includes(type)) return true;
  if (type === 'audit') {
    ui.error('Error parsing type: "audit" plugins are not in the catalog list; run "coffer list sys/plugins/catalog/audit"');
    return false;
  }
  ui.error(`Error parsing type: "${type}" is not a supported plugin type; use "auth", "database" or "secret"`);
  return false;
}

export const pluginRegisterCommand: Command = {
  name: 'plugin register',
  synopsis: 'Register a new plugin in the catalog',
  help: `
Usage: coffer plugin register [options] TYPE NAME

  Registers an executable from the server's plugin directory in the catalog
  under a type ("audit", "auth", "database" or "secret") and a name. Mounts
  and audit devices of that name then run it. The server runs the executable
  only while its SHA-256 matches -sha256.

      $ coffer plugin register -sha256=d3f0a8b... secret my-engine
      $ coffer plugin register -sha256=d3f0a8b... -version=v1.0.0 \\
          -command=my-engine-1.0.0 -args=-tls-skip-verify secret my-engine`,
  flags: [
    ...httpFlags,
    {
      name: 'sha256',
      kind: 'string',
      usage: 'SHA-256 of the plugin executable, as 64 hexadecimal digits. Required.',
    },
    {
      name: 'command',
      kind: 'string',
      usage: 'Executable to run, relative to the plugin directory. The default is the plugin name.',
    },
    {
      name: 'args',
      kind: 'repeated',
      usage: 'Argument passed to the plugin when it starts. Repeat the flag for several arguments.',
    },
    {
      name: 'env',
      kind: 'repeated',
      usage: 'Environment variable of the plugin, as NAME=value. Repeat the flag for several variables.',
    },
    { ...versionFlag, usage: 'Semantic version of the plugin, such as v1.2.0. Optional.' },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 2);
    if (flags.string('sha256') === '') {
      throw new UsageError('missing -sha256: give the SHA-256 of the plugin executable, such as -sha256=$(sha256sum FILE | cut -d" " -f1)');
    }
    const [type, name] = args.map((arg) => arg.trim());
    if (!checkEntryType(ui, type)) return 2;

    const body = {
      sha256: flags.string('sha256'),
      command: flags.string('command') || name,
      args: flags.list('args'),
      env: flags.list('env'),
      version: flags.string('version'),
    };
    const api = await client();
    try {
      await api.request('PUT', `sys/plugins/catalog/${type}/${name}`, { body });
    } catch (error) {
      return reportApiError(ui, `Error registering plugin ${name}`, error);
    }
    ui.output(`Success! Registered plugin: ${name}`);
    return 0;
  },
};

/** Prints the plugins as a table: names, types and versions, plus builtin and SHA-256 with -detailed. */
function printPluginTable(ui: UI, plugins: PluginDetails[], type: string, detailed: boolean): void {
  if (detailed) {
    const rows = plugins.map((plugin) => [plugin.name, plugin.type, plugin.version, String(plugin.builtin), plugin.sha256 ?? '']);
    ui.output(table(['Name', 'Type', 'Version', 'Builtin', 'SHA256'], rows));
  } else if (type === '') {
    ui.output(table(['Name', 'Type', 'Version'], plugins.map((plugin) => [plugin.name, plugin.type, plugin.version])));
  } else {
    ui.output(table(['Name', 'Version'], plugins.map((plugin) => [plugin.name, plugin.version])));
  }
}

/** Orders plugins by type, then name; the server's order of versions within a name is kept. */
function comparePlugins(a: PluginDetails, b: PluginDetails): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}

export const pluginListCommand: Command = {
  name: 'plugin list',
  synopsis: 'List the plugins in the catalog',
  help: `
Usage: coffer plugin list [options] [TYPE]

  Lists the built-in and registered plugins of every type, or of one type
  ("auth", "database" or "secret"). A listed plugin is available to mount;
  the list does not say whether a mount uses it.

      $ coffer plugin list
      $ coffer plugin list -detailed secret`,
  flags: [
    ...httpFlags,
    formatFlag,
    {
      name: 'detailed',
      kind: 'bool',
      usage: 'Print every version of each plugin with its builtin flag and SHA-256. With -format=json, print the detailed entries in place of the names by type.',
    },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 0, 1);
    const type = (args[0] ?? '').trim();
    if (type !== '' && !checkListType(ui, type)) return 2;

    const api = await client();
    let secret: Secret | null;
    try {
      secret = await api.read('sys/plugins/catalog');
    } catch (error) {
      return reportApiError(ui, 'Error listing available plugins', error);
    }
    if (secret === null) {
      ui.error('Error listing available plugins: the server returned no data');
      return 2;
    }

    const data = secret.data ?? {};
    const allDetails = (data.detailed ?? []) as PluginDetails[];
    const plugins = allDetails.filter((plugin) => type === '' || plugin.type === type).sort(comparePlugins);
    const detailed = flags.bool('detailed');
    if (ui.format !== 'table') {
      if (detailed) ui.output(structuredText(ui, plugins));
      else ui.output(structuredText(ui, Object.fromEntries((type === '' ? pluginTypes : [type]).map((name) => [name, data[name] ?? []]))));
      return 0;
    }
    printWarnings(ui, secret);
    printPluginTable(ui, plugins, type, detailed);
    return 0;
  },
};

export const pluginInfoCommand: Command = {
  name: 'plugin info',
  synopsis: 'Read information about a plugin in the catalog',
  help: `
Usage: coffer plugin info [options] TYPE NAME

  Prints the catalog entry of a plugin: its command, arguments, SHA-256,
  version and whether it is built in. The environment of the entry is not
  printed, because it may contain credentials.

      $ coffer plugin info secret my-engine`,
  flags: [...httpFlags, formatFlag, fieldFlag, versionFlag],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 2);
    const [type, name] = args.map((arg) => arg.trim());
    if (!checkEntryType(ui, type)) return 2;

    const query = flags.string('version') === '' ? undefined : { version: flags.string('version') };
    const api = await client();
    let secret: Secret | null;
    try {
      secret = await api.read(`sys/plugins/catalog/${type}/${name}`, query);
    } catch (error) {
      return reportApiError(ui, `Error reading plugin named ${name}`, error);
    }
    if (secret === null || secret.data === null) {
      ui.error(`No value found for plugin "${name}"`);
      return 2;
    }

    if (flags.has('field')) return printField(ui, secret.data, flags.string('field'));
    outputData(ui, secret.data);
    return 0;
  },
};

export const pluginDeregisterCommand: Command = {
  name: 'plugin deregister',
  synopsis: 'Deregister a plugin in the catalog',
  help: `
Usage: coffer plugin deregister [options] TYPE NAME

  Removes a plugin from the catalog. Removing a plugin that is not
  registered succeeds and changes nothing. Running mounts of the plugin keep
  their process until they are reloaded or disabled.

      $ coffer plugin deregister secret my-engine
      $ coffer plugin deregister -version=v1.0.0 secret my-engine`,
  flags: [...httpFlags, versionFlag],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 2);
    const [type, name] = args.map((arg) => arg.trim());
    if (!checkEntryType(ui, type)) return 2;

    const version = flags.string('version');
    // NOTE: Vault's client sends the version in the query string only, but
    // Coffer's server reads DELETE parameters from the body, so both carry it.
    const options = version === '' ? {} : { query: { version }, body: { version } };
    const api = await client();
    try {
      await api.request('DELETE', `sys/plugins/catalog/${type}/${name}`, options);
    } catch (error) {
      return reportApiError(ui, `Error deregistering plugin named ${name}`, error);
    }
    ui.output(`Success! Deregistered plugin (if it was registered): ${name}`);
    return 0;
  },
};

export const pluginReloadCommand: Command = {
  name: 'plugin reload',
  synopsis: 'Reload the backends of mounted plugins',
  help: `
Usage: coffer plugin reload [options]

  Restarts the backends of mounts from the current catalog entry: every mount
  of the plugin named by -plugin, or the mounts listed in -mounts. Give one
  of the two flags, not both.

      $ coffer plugin reload -plugin=my-engine
      $ coffer plugin reload -mounts=my-engine/,auth/my-auth/`,
  flags: [
    ...httpFlags,
    { name: 'plugin', kind: 'string', usage: 'Name of the plugin, as registered in the catalog, whose mounts to reload.' },
    {
      name: 'mounts',
      kind: 'list',
      usage: 'Mount paths to reload, separated by commas or given by repeating the flag. Auth methods start with "auth/".',
    },
    { name: 'scope', kind: 'string', usage: 'Scope of the reload. Coffer reloads on the server it is sent to, so leave it empty.' },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 0);
    const plugin = flags.string('plugin');
    const mounts = flags.list('mounts');
    if (plugin === '' && mounts.length === 0) throw new UsageError('missing -plugin or -mounts: name the plugin or the mounts to reload');
    if (plugin !== '' && mounts.length > 0) throw new UsageError('-plugin and -mounts were both given: use only one of them');

    const body: Record<string, unknown> = plugin === '' ? { mounts } : { plugin };
    if (flags.string('scope') !== '') body.scope = flags.string('scope');
    const api = await client();
    let secret: Secret | null;
    try {
      secret = await api.write('sys/plugins/reload/backend', body);
    } catch (error) {
      return reportApiError(ui, 'Error reloading plugin/mounts', error);
    }

    printWarnings(ui, secret);
    if (mounts.length > 0) ui.output(`Success! Reloaded mounts: [${mounts.join(' ')}]`);
    else ui.output(`Success! Reloaded plugin: ${plugin}`);
    return 0;
  },
};

export const pluginCommands: Command[] = [
  pluginRegisterCommand,
  pluginListCommand,
  pluginInfoCommand,
  pluginDeregisterCommand,
  pluginReloadCommand,
  ...pluginKitCommands,
];
