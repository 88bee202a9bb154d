/**
 * KV v2 `data/:path`: read a version, write a new version, patch the current
 * version with a JSON merge patch, and soft-delete the current version.
 */
import {
  badRequest,
  definePath,
  internalError,
  notFound,
  type FieldData,
  type FieldMap,
  type PathDefinition,
  type Request,
  type Response,
  type Storage,
} from '@coffer/sdk';
import { formatTimestamp } from './clock.js';
import { checkVersionNumber, parseCheckAndSet, PATH_FIELD, requireDataField, VERSION_FIELD } from './fields.js';
import { applyMergePatch, type JsonObject } from './json.js';
import {
  addVersion,
  isReadable,
  newKeyMetadata,
  scheduledDeletionTime,
  versionSummary,
  type EngineConfig,
  type KeyMetadata,
} from './metadata.js';
import { respondWithStatus } from './respond.js';
import { checkSecretPath, isValidSecretPath } from './secret-path.js';
import type { VersionedStore } from './store.js';

const FIELDS = {
  path: PATH_FIELD,
  version: VERSION_FIELD,
  options: {
    type: 'map',
    description:
      'Write options. "cas" enables check-and-set: 0 writes only if the key does not exist, ' +
      'any other number only if it equals the current version.',
  },
  data: { type: 'map', description: 'The key/value pairs to store as a new version.' },
} as const;

type DataFields = FieldData<typeof FIELDS>;

export function pathData(store: VersionedStore): PathDefinition<FieldMap> {
  return definePath({
    // A trailing "/" names a folder, not a secret, so it falls through to the
    // invalid-path catch-all.
    pattern: 'data/(?<path>.*[^/])',
    fields: FIELDS,
    // Unknown fields are checked in the handlers instead, so that a secret
    // sent without the "data" wrapper gets a message that names the fix.
    takesArbitraryInput: true,
    existenceCheck: async (request, fields) => {
      const path = fields.get('path');
      return isValidSecretPath(path) && (await store.readMetadata(request.storage, path)) !== null;
    },
    operations: {
      read: async (request, fields) => {
        const path = fields.get('path');
        checkKnownFields(fields.raw, path, false);
        checkSecretPath(path);
        const version = checkVersionNumber(fields.get('version'));
        return readData(store, request, path, version);
      },
      create: async (request, fields) => writeData(store, request.storage, fields),
      update: async (request, fields) => writeData(store, request.storage, fields),
      patch: async (request, fields) => patchData(store, request, fields),
      delete: async (request, fields) => {
        checkKnownFields(fields.raw, fields.get('path'), false);
        return deleteLatest(store, request.storage, fields.get('path'));
      },
    },
    helpSynopsis: 'Write, patch, read and delete versions of a secret.',
    helpDescription: `
A write stores "data" as a new version, and "options.cas" makes it conditional
on the current version. A patch applies "data" to the current version as a JSON
merge patch (RFC 7396) and stores the result as a new version. A read returns
the current version, or the one named by "version". A delete marks the current
version as deleted, and undelete restores it.`,
  });
}

async function readData(store: VersionedStore, request: Request, path: string, version: number): Promise<Response> {
  const found = await store.lookupVersion(request.storage, path, version);
  if (found.kind === 'missing') {
    throw notFound(version > 0 ? `version ${version} of secret "${path}" not found` : `secret "${path}" not found`);
  }

  const body = {
    data: found.kind === 'readable' ? found.data : null,
    metadata: versionSummary(found.meta, found.number),
  };
  // Vault returns the metadata of a deleted or destroyed version with a 404.
  if (found.kind === 'unreadable') return respondWithStatus(request, 404, body);
  return { data: body };
}

/**
 * Rejects fields this path does not declare. With `storesData`, a request
 * with such fields and no "data" field is taken for a secret sent without
 * the wrapper, as KV version 1 takes it, and the message shows the wrapper.
 *
 * @throws CofferError (400) naming the unknown fields or the missing wrapper.
 */
function checkKnownFields(raw: Record<string, unknown>, path: string, storesData: boolean): void {
  const unknown = Object.keys(raw).filter((name) => !Object.hasOwn(FIELDS, name));
  if (unknown.length === 0) return;

  if (storesData && !Object.hasOwn(raw, 'data')) {
    throw badRequest(
      `no data provided: send the key/value pairs of "${path}" as an object in the "data" field, ` +
        `as in {"data": {${JSON.stringify(unknown[0])}: ...}}`,
    );
  }
  throw badRequest(unknown.map((name) => `unknown field "${name}"`).join('; '));
}

async function writeData(store: VersionedStore, storage: Storage, fields: DataFields): Promise<Response> {
  const path = fields.get('path');
  checkKnownFields(fields.raw, path, true);
  checkSecretPath(path);
  const data = requireDataField(fields.getIfSet('data'), path);
  const cas = parseCheckAndSet(fields.getIfSet('options'));

  return store.locks.run(path, async () => {
    const config = await store.readConfig(storage);
    const meta = await store.readMetadata(storage, path);
    // A new key takes its created_time from its first version, in storeNewVersion.
    const current = meta ?? newKeyMetadata(path, '');
    checkCheckAndSet(cas, config, current, path);
    return storeNewVersion(store, storage, current, config, data);
  });
}

async function patchData(store: VersionedStore, request: Request, fields: DataFields): Promise<Response> {
  const path = fields.get('path');
  checkKnownFields(fields.raw, path, true);
  checkSecretPath(path);
  const patch = requireDataField(fields.getIfSet('data'), path);
  const cas = parseCheckAndSet(fields.getIfSet('options'));
  const storage = request.storage;

  return store.locks.run(path, async () => {
    const meta = await store.readMetadata(storage, path);
    if (meta === null) throw notFound(`secret "${path}" not found: a patch changes an existing secret, so write it first`);

    const config = await store.readConfig(storage);
    checkCheckAndSet(cas, config, meta, path);

    const version = meta.versions[String(meta.currentVersion)];
    if (version === undefined) throw notFound(`secret "${path}" has no current version to patch: write it first`);
    if (!isReadable(version, store.clock.now())) {
      return respondWithStatus(request, 404, versionSummary(meta, meta.currentVersion));
    }

    const current = await store.readVersionData(storage, path, meta.currentVersion);
    if (current === null) throw internalError(`version data of "${path}" is missing although its metadata lists it`);

    const patched = applyMergePatch(current, patch) as JsonObject;
    return storeNewVersion(store, storage, meta, config, patched);
  });
}

/**
 * Rejects the write unless it passes check-and-set: a given `cas` must equal
 * the current version (0 for a new key), and a key or engine with
 * `cas_required` needs one.
 */
function checkCheckAndSet(cas: number | undefined, config: EngineConfig, meta: KeyMetadata, path: string): void {
  if (cas !== undefined && cas !== meta.currentVersion) {
    throw badRequest(
      `check-and-set parameter did not match the current version: options.cas is ${cas} but the current version of "${path}" ` +
        `is ${meta.currentVersion}; read the secret again and retry with its current version`,
    );
  }
  if (cas === undefined && (config.casRequired || meta.casRequired)) {
    throw badRequest(
      `check-and-set parameter required for this call: set options.cas to the current version of "${path}", or to 0 if it does not exist yet`,
    );
  }
}

/**
 * Stores `data` as the next version of `meta.key` and prunes versions past
 * the limit. The caller holds the key's lock.
 */
async function storeNewVersion(
  store: VersionedStore,
  storage: Storage,
  meta: KeyMetadata,
  config: EngineConfig,
  data: JsonObject,
): Promise<Response> {
  const now = store.clock.now();
  const createdTime = formatTimestamp(now);
  if (meta.currentVersion === 0 && meta.createdTime === '') meta.createdTime = createdTime;
  const number = meta.currentVersion + 1;
  // Computed before any write, so a time that cannot be formatted stores nothing.
  const deletionTime = scheduledDeletionTime(now, config, meta);

  // Order matters for a crash between the writes: the data goes first, so
  // metadata never lists a version whose data is not stored yet. A crash
  // after this put leaves data that no metadata points at, which the next
  // write of this key overwrites.
  await store.writeVersionData(storage, meta.key, number, data);

  const pruned = addVersion(meta, { createdTime, deletionTime, destroyed: false }, config);
  await store.writeMetadata(storage, meta);

  const response: Response = { data: versionSummary(meta, number) };
  if (pruned.length > 0) {
    const warning = await removePrunedData(store, storage, meta);
    if (warning !== null) response.warnings = [warning];
  }
  return response;
}

/**
 * Deletes the data of every stored version that the metadata no longer
 * lists. Listing the key's version folder also catches data left by an
 * earlier prune that failed or was interrupted. A failure becomes a warning, as in
 * Vault, because the write itself is already durable.
 */
async function removePrunedData(store: VersionedStore, storage: Storage, meta: KeyMetadata): Promise<string | null> {
  try {
    const stored = await store.listStoredVersions(storage, meta.key);
    const unlisted = stored.filter((number) => number < meta.currentVersion && meta.versions[String(number)] === undefined);
    await store.deleteVersionData(storage, meta.key, unlisted);
    return null;
  } catch (err) {
    store.logger.error({ err, path: meta.key }, 'failed to delete the data of pruned versions');
    return 'failed to delete the data of old versions; a later write of this secret that prunes versions retries';
  }
}

async function deleteLatest(store: VersionedStore, storage: Storage, path: string): Promise<null> {
  checkSecretPath(path);

  return store.locks.run(path, async () => {
    const meta = await store.readMetadata(storage, path);
    if (meta === null) return null;

    // Nothing to do when the current version is missing, destroyed or already deleted.
    const version = meta.versions[String(meta.currentVersion)];
    const now = store.clock.now();
    if (version === undefined || !isReadable(version, now)) return null;

    version.deletionTime = formatTimestamp(now);
    await store.writeMetadata(storage, meta);
    return null;
  });
}
