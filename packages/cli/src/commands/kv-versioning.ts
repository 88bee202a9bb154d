// `coffer kv rollback` and `coffer kv enable-versioning`: making an old
// version current again, and turning a KV version 1 mount into version 2.
import type { Command } from '../command.js';
import { expectArguments, fieldFlag, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError } from '../flags.js';
import { sanitizePath } from '../paths.js';
import type { Secret } from '../secret.js';
import { isRecord, printWriteResult } from './kv.js';
import { kvV2Path, locateKvOrReport, mountFlag } from './kv-paths.js';

export const kvRollbackCommand: Command = {
  name: 'kv rollback',
  synopsis: 'Make an earlier version of a secret current again',
  help: `
Usage: coffer kv rollback [options] KEY

  Writes the data of an earlier version of a secret as its newest version,
  on a KV version 2 mount. If the secret is at version 5, rolling back to
  version 2 writes version 2's data as version 6. The write uses
  check-and-set, so it fails if another write lands in between.

      $ coffer kv rollback -version=2 secret/foo
      $ coffer kv rollback -mount=secret -version=2 foo`,
  flags: [
    ...httpFlags,
    fieldFlag,
    formatFlag,
    mountFlag,
    { name: 'version', kind: 'int', usage: 'Version whose data becomes current again. Required.' },
    {
      name: 'delete-version-after',
      kind: 'duration',
      usage: 'Time after which the new version is deleted, such as "30s" or "3h25m19s". Without it, the metadata\'s delete_version_after applies.',
    },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const version = flags.int('version');
    if (version === undefined) throw new UsageError('Missing -version: give the version to roll back to, such as -version=2');
    if (version <= 0) throw new UsageError(`Invalid -version ${version}: versions start at 1`);

    const api = await client();
    const location = await locateKvOrReport(ui, api, args[0], flags.string('mount'));
    if (typeof location === 'number') return location;
    if (!location.v2) {
      ui.error(`Rollback needs a KV version 2 mount; ${location.mountPath || location.path} is version 1. "coffer kv enable-versioning" upgrades it.`);
      return 2;
    }
    const fullPath = kvV2Path(location, 'data');

    // The reads are never wrapped, so -wrap-ttl applies to the write that follows.
    let current: Secret | null;
    let target: Secret | null;
    try {
      current = await api.read(fullPath, undefined, { wrap: false });
      target = await api.read(fullPath, { version: String(version) }, { wrap: false });
    } catch (error) {
      return reportApiError(ui, `Error reading ${fullPath}`, error);
    }
    const currentMetadata = current?.data?.metadata;
    if (!isRecord(currentMetadata)) {
      ui.error(`No value found at ${fullPath}; rollback only works on a secret that exists`);
      return 2;
    }
    const targetMetadata = target?.data?.metadata;
    if (!isRecord(targetMetadata)) {
      ui.error(`No version ${version} found at ${fullPath}`);
      return 2;
    }
    if (typeof targetMetadata.deletion_time === 'string' && targetMetadata.deletion_time !== '') {
      ui.error(`Version ${version} of ${fullPath} is deleted; undelete it first with "coffer kv undelete -versions=${version}"`);
      return 2;
    }
    if (targetMetadata.destroyed === true) {
      ui.error(`Version ${version} of ${fullPath} is destroyed, so its data cannot be restored`);
      return 2;
    }
    const data = target?.data?.data;
    if (!isRecord(data)) {
      ui.error(`No data found in version ${version} of ${fullPath}`);
      return 2;
    }

    const options: Record<string, unknown> = { cas: currentMetadata.version };
    const deleteAfter = flags.duration('delete-version-after');
    if (deleteAfter !== undefined && deleteAfter > 0) options.delete_version_after = `${deleteAfter}s`;
    let written: Secret | null;
    try {
      written = await api.write(fullPath, { data, options });
    } catch (error) {
      return reportApiError(ui, `Error writing data to ${fullPath}`, error);
    }
    return printWriteResult(ui, written, fullPath, flags.has('field') ? flags.string('field') : undefined);
  },
};

export const kvEnableVersioningCommand: Command = {
  name: 'kv enable-versioning',
  synopsis: 'Turn a KV version 1 mount into version 2',
  help: `
Usage: coffer kv enable-versioning [options] PATH

  Tunes the KV mount at the given path to version 2. Its existing secrets
  become version 1 of versioned secrets, and their paths move under data/
  and metadata/.

      $ coffer kv enable-versioning secret`,
  flags: [...httpFlags],
  async run({ ui, args, client }) {
    expectArguments(args, 1);
    const mountPath = sanitizePath(args[0]);
    const api = await client();
    try {
      await api.write(`sys/mounts/${mountPath}/tune`, { options: { version: '2' } });
    } catch (error) {
      return reportApiError(ui, `Error tuning secrets engine ${mountPath}`, error);
    }
    ui.output(`Success! Tuned the secrets engine at: ${mountPath}/`);
    return 0;
  },
};
