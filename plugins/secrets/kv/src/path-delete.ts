/**
 * KV v2 `delete/:path` and `undelete/:path`: soft-delete chosen versions of
 * a secret, and restore them.
 */
import { definePath, type FieldMap, type PathDefinition, type Storage } from '@coffer/sdk';
import { formatTimestamp } from './clock.js';
import { parseVersionList, PATH_FIELD, VERSIONS_FIELD } from './fields.js';
import { isDeleted, scheduledDeletionTime } from './metadata.js';
import { checkSecretPath } from './secret-path.js';
import type { VersionedStore } from './store.js';

const FIELDS = { path: PATH_FIELD, versions: VERSIONS_FIELD } as const;

export function pathDelete(store: VersionedStore): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'delete/(?<path>.*)',
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const path = fields.get('path');
        checkSecretPath(path);
        const versions = parseVersionList(fields.get('versions'));
        return softDelete(store, request.storage, path, versions);
      },
    },
    helpSynopsis: 'Mark versions of a secret as deleted.',
    helpDescription: `
Marks each version in "versions" as deleted: reads of it return 404 with its
metadata, and its data stays in storage until it is destroyed or pruned.
Versions that do not exist, are destroyed or are already deleted are skipped.
Undelete reverses this.`,
  });
}

export function pathUndelete(store: VersionedStore): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'undelete/(?<path>.*)',
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const path = fields.get('path');
        checkSecretPath(path);
        const versions = parseVersionList(fields.get('versions'));
        return undelete(store, request.storage, path, versions);
      },
    },
    helpSynopsis: 'Restore deleted versions of a secret.',
    helpDescription: `
Clears the deletion time of each version in "versions", so reads return its
data again. When delete_version_after applies, a new deletion time counts from
now. Destroyed versions cannot be restored and are skipped.`,
  });
}

async function softDelete(store: VersionedStore, storage: Storage, path: string, versions: number[]): Promise<null> {
  return store.locks.run(path, async () => {
    const meta = await store.readMetadata(storage, path);
    if (meta === null) return null;

    const now = store.clock.now();
    for (const number of versions) {
      const version = meta.versions[String(number)];
      if (version === undefined || version.destroyed || isDeleted(version, now)) continue;
      // A deletion scheduled by delete_version_after moves to now.
      version.deletionTime = formatTimestamp(now);
    }
    await store.writeMetadata(storage, meta);
    return null;
  });
}

async function undelete(store: VersionedStore, storage: Storage, path: string, versions: number[]): Promise<null> {
  return store.locks.run(path, async () => {
    const meta = await store.readMetadata(storage, path);
    if (meta === null) return null;

    const config = await store.readConfig(storage);
    const now = store.clock.now();
    for (const number of versions) {
      const version = meta.versions[String(number)];
      if (version === undefined || version.destroyed) continue;
      version.deletionTime = scheduledDeletionTime(now, config, meta);
    }
    await store.writeMetadata(storage, meta);
    return null;
  });
}
