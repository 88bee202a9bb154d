/**
 * KV v2 `config`: engine-wide defaults for every key of the mount.
 */
import {
  badRequest,
  definePath,
  formatDuration,
  tryParseDuration,
  type FieldMap,
  type PathDefinition,
  type Storage,
} from '@coffer/sdk';
import { checkDeleteVersionAfter, checkMaxVersions } from './fields.js';
import { DELETE_VERSION_AFTER_DISABLED, formatSignedDuration, MAX_DELETE_VERSION_AFTER_SECONDS } from './metadata.js';
import type { VersionedStore } from './store.js';

const FIELDS = {
  max_versions: {
    type: 'int',
    description: `Versions to keep per key, unless the key sets its own. 0 keeps 10, and the maximum is ${Number.MAX_SAFE_INTEGER}.`,
  },
  cas_required: {
    type: 'bool',
    description: 'When true, every write to every key must set options.cas.',
  },
  // A string, because a negative duration is valid here and the SDK's
  // duration type accepts only non-negative ones.
  delete_version_after: {
    type: 'string',
    description:
      `Time after which a new version is soft-deleted, such as "3h", at most ${formatDuration(MAX_DELETE_VERSION_AFTER_SECONDS)}. ` +
      '0 clears it, and a negative value turns it off on every key.',
  },
} as const;

export function pathConfig(store: VersionedStore): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config',
    fields: FIELDS,
    operations: {
      read: async (request) => {
        const config = await store.readConfig(request.storage);
        return {
          data: {
            cas_required: config.casRequired,
            delete_version_after: formatSignedDuration(config.deleteVersionAfter),
            max_versions: config.maxVersions,
          },
        };
      },
      update: async (request, fields) => {
        const maxVersions = fields.getIfSet('max_versions');
        if (maxVersions !== undefined) {
          checkMaxVersions(maxVersions, 'use 0 for the default of 10 or a positive number of versions');
        }
        const casRequired = fields.getIfSet('cas_required');
        const rawDeleteAfter = fields.getIfSet('delete_version_after');
        const deleteVersionAfter = rawDeleteAfter === undefined ? undefined : parseSignedDuration(rawDeleteAfter);

        return updateConfig(store, request.storage, { maxVersions, casRequired, deleteVersionAfter });
      },
    },
    helpSynopsis: 'Configure settings that apply to every key of the mount.',
    helpDescription: `
max_versions sets how many versions each key keeps (0 keeps 10), cas_required
makes check-and-set mandatory on every write, and delete_version_after
soft-deletes each new version after the given time. A key's own metadata can
override max_versions and shorten delete_version_after. A negative
delete_version_after turns the feature off on every key.

max_versions is at most ${Number.MAX_SAFE_INTEGER}. delete_version_after is at
most ${formatDuration(MAX_DELETE_VERSION_AFTER_SECONDS)} either way, the maximum Go duration, as in Vault.`,
  });
}

async function updateConfig(
  store: VersionedStore,
  storage: Storage,
  change: { maxVersions?: number; casRequired?: boolean; deleteVersionAfter?: number },
): Promise<null> {
  if (change.maxVersions === undefined && change.casRequired === undefined && change.deleteVersionAfter === undefined) return null;

  // The lock key is not a valid secret path, so it never delays a secret.
  return store.locks.run('\0config', async () => {
    const config = await store.readConfig(storage);
    if (change.maxVersions !== undefined) config.maxVersions = change.maxVersions;
    if (change.casRequired !== undefined) config.casRequired = change.casRequired;
    if (change.deleteVersionAfter !== undefined) config.deleteVersionAfter = change.deleteVersionAfter;
    await store.writeConfig(storage, config);
    return null;
  });
}

/**
 * Parses a duration that may be negative. Like Vault, any negative value
 * turns the feature off and is stored as -1 second. Its magnitude has the
 * same limit as a positive value, because Vault parses both as a Go duration.
 */
function parseSignedDuration(text: string): number {
  const trimmed = text.trim();
  const negative = trimmed.startsWith('-');
  const parsed = tryParseDuration(negative ? trimmed.slice(1) : trimmed);
  if (parsed.problem === 'invalid') {
    throw badRequest(
      `invalid field "delete_version_after": expected a duration such as 30, "30s", "90m" or "1h", got "${text}"`,
    );
  }
  // A duration past the maximum is too_long, and its seconds are above it.
  const seconds = checkDeleteVersionAfter(parsed.seconds, text);
  if (negative && seconds > 0) return DELETE_VERSION_AFTER_DISABLED;
  return seconds;
}
