/**
 * The versions of Coffer that have served this storage, with the time each
 * first became active, as Vault keeps them for `sys/version-history`. Each
 * version is one entry below the barrier, written the first time a node of
 * that version becomes active, and never changed after.
 */
import { CofferError, definePath, type FieldMap, type PathDefinition, type Storage } from '@coffer/sdk';

/** Storage prefix of the entries, the one Vault uses. */
export const VERSION_HISTORY_PREFIX = 'core/versions/';

interface StoredVersion {
  timestamp_installed: string;
  build_date: string | null;
}

/** Records `version` with the current time unless it is recorded already. */
export async function recordVersion(storage: Storage, version: string, now = new Date()): Promise<void> {
  const key = VERSION_HISTORY_PREFIX + version;
  if ((await storage.get(key)) !== null) return;
  // Milliseconds are kept so that two versions installed within one second still sort in order.
  const entry: StoredVersion = { timestamp_installed: now.toISOString(), build_date: null };
  await storage.put({ key, value: Buffer.from(JSON.stringify(entry)) });
}

/**
 * Lists the recorded versions in the order they were installed, each with
 * the one installed before it.
 * @throws CofferError (500) when an entry is malformed.
 */
export async function readVersionHistory(storage: Storage): Promise<{ keys: string[]; key_info: Record<string, unknown> }> {
  const versions: Array<{ version: string } & StoredVersion> = [];
  for (const version of await storage.list(VERSION_HISTORY_PREFIX)) {
    const stored = await storage.get(VERSION_HISTORY_PREFIX + version);
    if (stored === null) continue;
    let entry: Partial<StoredVersion>;
    try {
      entry = JSON.parse(stored.value.toString('utf8')) as Partial<StoredVersion>;
    } catch {
      entry = {};
    }
    if (typeof entry.timestamp_installed !== 'string' || Number.isNaN(Date.parse(entry.timestamp_installed))) {
      throw new CofferError('COFFER_ERR_VERSION_HISTORY', 500, `version history entry "${version}" is malformed`);
    }
    versions.push({ version, timestamp_installed: entry.timestamp_installed, build_date: entry.build_date ?? null });
  }
  versions.sort((left, right) => Date.parse(left.timestamp_installed) - Date.parse(right.timestamp_installed));

  const keyInfo: Record<string, unknown> = {};
  versions.forEach((entry, index) => {
    keyInfo[entry.version] = {
      // Vault shows RFC 3339 in whole seconds.
      timestamp_installed: new Date(entry.timestamp_installed).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      previous_version: index === 0 ? null : versions[index - 1].version,
      build_date: entry.build_date,
    };
  });
  return { keys: versions.map((entry) => entry.version), key_info: keyInfo };
}

/** Declares `sys/version-history`, a LIST as in Vault. */
export function versionHistoryPaths(storage: Storage): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'version-history/?',
      fields: {},
      operations: {
        list: async () => ({ data: await readVersionHistory(storage) }),
      },
      helpSynopsis: 'List the versions of Coffer that have run on this storage.',
      helpDescription: 'LIST returns each version with the time it was first active and the version before it.',
    }),
  ];
}
