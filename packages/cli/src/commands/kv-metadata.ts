// `coffer kv metadata get`, `put` and `delete`, for KV version 2 mounts.
import type { CofferClient } from '../client.js';
import type { Command } from '../command.js';
import { expectArguments, fieldFlag, formatFlag, httpFlags, reportApiError } from '../command.js';
import { formatGoDuration } from '../flags.js';
import type { UI } from '../io.js';
import { headerForMap, outputData, outputSecret, printField } from '../output.js';
import type { Secret } from '../secret.js';
import { kvV2Path, locateKvOrReport, mountFlag, printPathHeader } from './kv-paths.js';

const notSupportedOnV1 = 'Metadata not supported on KV Version 1';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Resolves the metadata path of a KV version 2 secret, or prints why there is none and returns the exit code. */
async function metadataPath(ui: UI, api: CofferClient, argument: string, mount: string): Promise<string | number> {
  const location = await locateKvOrReport(ui, api, argument, mount);
  if (typeof location === 'number') return location;
  if (!location.v2) {
    ui.error(notSupportedOnV1);
    return 1;
  }
  return kvV2Path(location, 'metadata');
}

export const kvMetadataGetCommand: Command = {
  name: 'kv metadata get',
  synopsis: 'Retrieve key metadata from the KV store',
  help: `
Usage: coffer kv metadata get [options] KEY

  Prints the metadata of a secret on a KV version 2 mount and the state of
  each of its versions.

      $ coffer kv metadata get -mount=secret foo`,
  flags: [...httpFlags, fieldFlag, formatFlag, mountFlag],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const api = await client();
    const fullPath = await metadataPath(ui, api, args[0], flags.string('mount'));
    if (typeof fullPath === 'number') return fullPath;
    let secret: Secret | null;
    try {
      secret = await api.read(fullPath);
    } catch (error) {
      return reportApiError(ui, `Error reading ${fullPath}`, error);
    }
    if (secret === null) {
      ui.error(`No value found at ${fullPath}`);
      return 2;
    }
    if (flags.has('field')) return printField(ui, secret, flags.string('field'));
    if (secret.wrap_info || ui.format !== 'table') {
      outputSecret(ui, secret);
      return 0;
    }

    const { versions, ...metadata } = secret.data ?? {};
    if (!isRecord(versions)) {
      ui.error(`No value found at ${fullPath}`);
      outputSecret(ui, secret);
      return 2;
    }
    printPathHeader(ui, fullPath, 'Metadata Path');
    ui.output(headerForMap('Metadata', metadata));
    outputSecret(ui, { ...secret, data: metadata });

    const numbers = Object.keys(versions)
      .map(Number)
      .filter((version) => Number.isInteger(version))
      .sort((a, b) => a - b);
    for (const version of numbers) {
      const entry = versions[String(version)];
      const fields = isRecord(entry) ? entry : {};
      ui.output(`\n${headerForMap(`Version ${version}`, fields)}`);
      outputData(ui, fields);
    }
    return 0;
  },
};

export const kvMetadataPutCommand: Command = {
  name: 'kv metadata put',
  synopsis: 'Set or update key settings in the KV store',
  help: `
Usage: coffer kv metadata put [options] KEY

  Creates or updates the metadata of a secret on a KV version 2 mount: how
  many versions to keep, whether writes need check-and-set, when versions are
  deleted, and custom metadata.

      $ coffer kv metadata put -mount=secret -max-versions=5 foo
      $ coffer kv metadata put -custom-metadata=owner=ops secret/foo`,
  flags: [
    ...httpFlags,
    formatFlag,
    mountFlag,
    {
      name: 'max-versions',
      kind: 'int',
      usage: 'Number of versions to keep; the oldest is removed past it. 0 uses the mount setting.',
    },
    { name: 'cas-required', kind: 'bool', usage: 'Require the -cas parameter on every write to this key.' },
    {
      name: 'delete-version-after',
      kind: 'duration',
      usage: 'Time after which each new version is deleted, such as 30m or 24h. 0s turns it off.',
    },
    {
      name: 'custom-metadata',
      kind: 'map',
      usage: 'Custom key=value metadata for the secret; repeat the flag for more pairs.',
    },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const body: Record<string, unknown> = {};
    const maxVersions = flags.int('max-versions');
    if (maxVersions !== undefined && maxVersions >= 0) body.max_versions = maxVersions;
    if (flags.has('cas-required')) body.cas_required = flags.bool('cas-required');
    const deleteAfter = flags.duration('delete-version-after');
    if (deleteAfter !== undefined && deleteAfter >= 0) body.delete_version_after = formatGoDuration(deleteAfter);
    if (flags.has('custom-metadata')) body.custom_metadata = flags.map('custom-metadata');

    const api = await client();
    const fullPath = await metadataPath(ui, api, args[0], flags.string('mount'));
    if (typeof fullPath === 'number') return fullPath;
    let secret: Secret | null;
    try {
      secret = await api.write(fullPath, body);
    } catch (error) {
      return reportApiError(ui, `Error writing data to ${fullPath}`, error);
    }
    if (secret === null || Object.keys(secret.data ?? {}).length === 0) {
      if (ui.format === 'table') ui.output(`Success! Data written to: ${fullPath}`);
      return 0;
    }
    outputSecret(ui, secret);
    return 0;
  },
};

export const kvMetadataDeleteCommand: Command = {
  name: 'kv metadata delete',
  synopsis: 'Delete all versions and metadata for a key in the KV store',
  help: `
Usage: coffer kv metadata delete [options] PATH

  Deletes the metadata and every version of a secret on a KV version 2 mount.
  This cannot be undone.

      $ coffer kv metadata delete -mount=secret foo`,
  flags: [...httpFlags, mountFlag],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const api = await client();
    const fullPath = await metadataPath(ui, api, args[0], flags.string('mount'));
    if (typeof fullPath === 'number') return fullPath;
    try {
      await api.delete(fullPath);
    } catch (error) {
      return reportApiError(ui, `Error deleting ${fullPath}`, error);
    }
    ui.output(`Success! Data deleted (if it existed) at: ${fullPath}`);
    return 0;
  },
};
