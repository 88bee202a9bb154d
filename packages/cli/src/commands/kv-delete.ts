// `coffer kv delete`, `undelete` and `destroy`: the version lifecycle of KV.
import type { CofferClient } from '../client.js';
import type { Command } from '../command.js';
import { expectArguments, httpFlags, reportApiError } from '../command.js';
import { UsageError } from '../flags.js';
import type { UI } from '../io.js';
import { kvV2Path, locateKvOrReport, mountFlag, parseVersions, versionsFlag } from './kv-paths.js';

export const kvDeleteCommand: Command = {
  name: 'kv delete',
  synopsis: 'Delete versions in the KV store',
  help: `
Usage: coffer kv delete [options] PATH

  Deletes the data at the given path of a KV secrets engine. On a KV version 2
  mount, this soft-deletes the latest version, or the versions given with
  -versions; "coffer kv undelete" restores them.

      $ coffer kv delete -mount=secret foo
      $ coffer kv delete -versions=3,4 secret/foo`,
  flags: [...httpFlags, mountFlag, versionsFlag('delete, on a KV version 2 mount')],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const versions = parseVersions(flags.list('versions'));
    const api = await client();
    const location = await locateKvOrReport(ui, api, args[0], flags.string('mount'));
    if (typeof location === 'number') return location;

    let fullPath = location.path;
    try {
      if (location.v2 && versions.length > 0) {
        fullPath = kvV2Path(location, 'delete');
        await api.write(fullPath, { versions });
      } else {
        if (location.v2) fullPath = kvV2Path(location, 'data');
        await api.delete(fullPath);
      }
    } catch (error) {
      return reportApiError(ui, `Error deleting ${fullPath}`, error);
    }
    ui.output(`Success! Data deleted (if it existed) at: ${fullPath}`);
    return 0;
  },
};

/** Builds `kv undelete` and `kv destroy`, which differ only in the API prefix and wording. */
function versionCommand(action: 'undelete' | 'destroy', synopsis: string, description: string): Command {
  return {
    name: `kv ${action}`,
    synopsis,
    help: `
Usage: coffer kv ${action} [options] KEY

  ${description}

      $ coffer kv ${action} -mount=secret -versions=3 foo`,
    flags: [...httpFlags, mountFlag, versionsFlag(action)],
    async run({ ui, args, flags, client }) {
      expectArguments(args, 1);
      const versions = parseVersions(flags.list('versions'));
      if (versions.length === 0) {
        throw new UsageError(`No versions provided, use the "-versions" flag to specify the version to ${action}, such as -versions=1`);
      }
      const api = await client();
      const location = await locateKvOrReport(ui, api, args[0], flags.string('mount'));
      if (typeof location === 'number') return location;
      if (!location.v2) {
        ui.error(`${action === 'undelete' ? 'Undelete' : 'Destroy'} not supported on KV Version 1`);
        return 1;
      }

      const fullPath = kvV2Path(location, action);
      try {
        await api.write(fullPath, { versions });
      } catch (error) {
        return reportApiError(ui, `Error writing data to ${fullPath}`, error);
      }
      ui.output(`Success! Data written to: ${fullPath}`);
      return 0;
    },
  };
}

export const kvUndeleteCommand = versionCommand(
  'undelete',
  'Undelete versions in the KV store',
  `Restores soft-deleted versions of a secret on a KV version 2 mount.`,
);

export const kvDestroyCommand = versionCommand(
  'destroy',
  'Permanently remove one or more versions in the KV store',
  `Removes the data of the given versions of a secret on a KV version 2 mount
  for good. Their metadata stays and shows them as destroyed.`,
);
