/**
 * KV v2 `destroy/:path`: permanently remove the data of chosen versions.
 */
import { definePath, type FieldMap, type PathDefinition, type Storage } from '@coffer/sdk';
import { parseVersionList, PATH_FIELD, VERSIONS_FIELD } from './fields.js';
import { checkSecretPath } from './secret-path.js';
import type { VersionedStore } from './store.js';

const FIELDS = { path: PATH_FIELD, versions: VERSIONS_FIELD } as const;

export function pathDestroy(store: VersionedStore): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'destroy/(?<path>.*)',
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const path = fields.get('path');
        checkSecretPath(path);
        const versions = parseVersionList(fields.get('versions'));
        return destroy(store, request.storage, path, versions);
      },
    },
    helpSynopsis: 'Permanently remove versions of a secret.',
    helpDescription: `
Deletes the data of each version in "versions" from storage and marks the
version as destroyed. The version stays in the key's metadata, and reads of
it return 404. This cannot be undone.`,
  });
}

async function destroy(store: VersionedStore, storage: Storage, path: string, versions: number[]): Promise<null> {
  return store.locks.run(path, async () => {
    const meta = await store.readMetadata(storage, path);
    if (meta === null) return null;

    let changed = false;
    for (const number of versions) {
      const version = meta.versions[String(number)];
      if (version === undefined || version.destroyed) continue;
      version.destroyed = true;
      changed = true;
    }

    // Order matters for a crash between the writes: the metadata marks the
    // versions destroyed first, so no reader looks for data that is gone.
    if (changed) await store.writeMetadata(storage, meta);

    // Deleting the data of every requested version that metadata no longer
    // serves, not only the ones destroyed now, lets a repeated destroy
    // remove data that an interrupted one left behind.
    const unserved = versions.filter((number) => {
      const version = meta.versions[String(number)];
      return number <= meta.currentVersion && (version === undefined || version.destroyed);
    });
    await store.deleteVersionData(storage, path, unserved);
    return null;
  });
}
