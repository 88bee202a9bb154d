/**
 * KV v2 `metadata/:path`: read, write and patch a key's settings and custom
 * metadata, delete a key with all its versions, and list keys.
 */
import {
  definePath,
  formatDuration,
  notFound,
  type FieldData,
  type FieldMap,
  type PathDefinition,
  type Request,
  type Response,
  type Storage,
} from '@coffer/sdk';
import { formatTimestamp } from './clock.js';
import { checkCustomMetadata, parseCustomMetadata, storedCustomMetadata } from './custom-metadata.js';
import { checkMaxVersions, PATH_FIELD } from './fields.js';
import { applyMergePatch, type JsonObject } from './json.js';
import {
  MAX_DELETE_VERSION_AFTER_SECONDS,
  metadataResponse,
  newKeyMetadata,
  type EngineConfig,
  type KeyMetadata,
} from './metadata.js';
import { respondRootNotSupported } from './path-invalid.js';
import { asFolder, checkListPrefix, checkSecretPath, isValidSecretPath } from './secret-path.js';
import type { VersionedStore } from './store.js';

const FIELDS = {
  path: PATH_FIELD,
  max_versions: {
    type: 'int',
    description: `Versions to keep for this key, at most ${Number.MAX_SAFE_INTEGER}. 0 uses the engine setting.`,
  },
  cas_required: {
    type: 'bool',
    description: 'When true, every write to this key must set options.cas. False defers to the engine setting.',
  },
  delete_version_after: {
    type: 'duration',
    description:
      `Time after which a new version is soft-deleted, such as "3h", at most ${formatDuration(MAX_DELETE_VERSION_AFTER_SECONDS)}. ` +
      '0 uses the engine setting.',
  },
  custom_metadata: {
    type: 'map',
    description: 'String pairs that describe the secret, at most 64, with keys up to 128 bytes and values up to 512.',
  },
} as const;

type MetadataFields = FieldData<typeof FIELDS>;

/** Settings a metadata write or patch changes; `undefined` leaves a setting as it is. */
interface SettingsChange {
  maxVersions?: number;
  casRequired?: boolean;
  deleteVersionAfter?: number;
  /** Pairs to merge into the stored ones; a `null` value removes its key. */
  customMetadata?: Record<string, string | null>;
  /** True when the change replaces the custom metadata instead of merging into it. */
  replaceCustomMetadata: boolean;
}

const CAS_REQUIRED_WARNING = '"cas_required" set to false, but is mandated by backend config. This value will be ignored.';

export function pathMetadata(store: VersionedStore): PathDefinition<FieldMap> {
  return definePath({
    // "metadata" and "metadata/" both name the root, which only LIST serves.
    pattern: 'metadata(?:/(?<path>.*))?',
    fields: FIELDS,
    existenceCheck: async (request, fields) => {
      const path = fields.get('path');
      return isValidSecretPath(path) && (await store.readMetadata(request.storage, path)) !== null;
    },
    operations: {
      list: async (request, fields) => listKeys(store, request, fields.get('path')),
      read: async (request, fields) => readMetadata(store, request, fields.get('path')),
      create: async (request, fields) => writeMetadata(store, request, fields),
      update: async (request, fields) => writeMetadata(store, request, fields),
      patch: async (request, fields) => patchMetadata(store, request, fields),
      delete: async (request, fields) => deleteKey(store, request, fields.get('path')),
    },
    helpSynopsis: "Read, write and delete a key's metadata, and list keys.",
    helpDescription: `
A read returns the key's settings and the state of every kept version. A write
sets max_versions, cas_required, delete_version_after and custom_metadata,
creating the key if needed, and a patch changes only the fields it sends. A delete
removes the key's metadata and every version permanently. A LIST on a folder
returns the keys and sub-folders below it.

max_versions is at most ${Number.MAX_SAFE_INTEGER}, and delete_version_after at
most ${formatDuration(MAX_DELETE_VERSION_AFTER_SECONDS)}, the maximum Go duration, as in Vault.`,
  });
}

async function listKeys(store: VersionedStore, request: Request, path: string): Promise<Response> {
  const prefix = asFolder(path);
  checkListPrefix(prefix);

  const keys = await store.listMetadata(request.storage, prefix);
  if (keys.length === 0) throw notFound(`no secrets found under "${request.mountPoint}metadata/${prefix}"`);
  return { data: { keys } };
}

async function readMetadata(store: VersionedStore, request: Request, path: string): Promise<Response> {
  if (path === '') return respondRootNotSupported(request);
  checkSecretPath(path);

  const meta = await store.readMetadata(request.storage, path);
  if (meta === null) throw notFound(`metadata of secret "${path}" not found`);
  return { data: metadataResponse(meta) };
}

async function writeMetadata(store: VersionedStore, request: Request, fields: MetadataFields): Promise<Response | null> {
  const path = fields.get('path');
  if (path === '') return respondRootNotSupported(request);
  checkSecretPath(path);

  const change = parseSettingsChange(fields, 'write');
  // Like Vault, a write that sets nothing changes nothing and creates no key.
  if (isEmptyChange(change)) return null;
  const storage = request.storage;

  return store.locks.run(path, async () => {
    const config = await store.readConfig(storage);
    const meta = (await store.readMetadata(storage, path)) ?? newKeyMetadata(path, formatTimestamp(store.clock.now()));
    applySettingsChange(meta, change);
    await store.writeMetadata(storage, meta);
    return casRequiredWarning(change, config);
  });
}

async function patchMetadata(store: VersionedStore, request: Request, fields: MetadataFields): Promise<Response | null> {
  const path = fields.get('path');
  if (path === '') return respondRootNotSupported(request);
  checkSecretPath(path);

  const change = parseSettingsChange(fields, 'patch');
  const storage = request.storage;

  return store.locks.run(path, async () => {
    const meta = await store.readMetadata(storage, path);
    if (meta === null) throw notFound(`metadata of secret "${path}" not found: a patch changes an existing key, so write it first`);

    const config = await store.readConfig(storage);
    applySettingsChange(meta, change);
    await store.writeMetadata(storage, meta);
    return casRequiredWarning(change, config);
  });
}

async function deleteKey(store: VersionedStore, request: Request, path: string): Promise<Response | null> {
  if (path === '') return respondRootNotSupported(request);
  checkSecretPath(path);
  const storage = request.storage;

  return store.locks.run(path, async () => {
    // Order matters for a crash between the deletes: the metadata goes
    // first, so no reader ever finds a version whose data is gone. Data
    // left behind is unreachable, and the next delete of this key removes
    // it because it lists the version folder instead of trusting metadata.
    await store.deleteMetadata(storage, path);
    await deleteAllVersionData(store, storage, path);
    return null;
  });
}

async function deleteAllVersionData(store: VersionedStore, storage: Storage, path: string): Promise<void> {
  const stored = await store.listStoredVersions(storage, path);
  await store.deleteVersionData(storage, path, stored);
}

/**
 * Reads the settings a request changes. In a patch, a field sent as `null`
 * resets the setting, as the JSON merge patch that Vault applies does.
 */
function parseSettingsChange(fields: MetadataFields, mode: 'write' | 'patch'): SettingsChange {
  const isReset = (name: string) => mode === 'patch' && Object.hasOwn(fields.raw, name) && fields.raw[name] === null;
  const change: SettingsChange = { replaceCustomMetadata: mode === 'write' };

  const maxVersions = fields.getIfSet('max_versions');
  if (maxVersions !== undefined) {
    change.maxVersions = checkMaxVersions(maxVersions, 'use 0 for the engine setting or a positive number of versions');
  } else if (isReset('max_versions')) {
    change.maxVersions = 0;
  }

  change.casRequired = fields.getIfSet('cas_required') ?? (isReset('cas_required') ? false : undefined);

  const deleteVersionAfter = fields.getIfSet('delete_version_after');
  if (deleteVersionAfter !== undefined) {
    // The field parser rejects a value past MAX_DELETE_VERSION_AFTER_SECONDS, the Go maximum.
    change.deleteVersionAfter = deleteVersionAfter;
  } else if (isReset('delete_version_after')) {
    change.deleteVersionAfter = 0;
  }

  const customMetadata = fields.getIfSet('custom_metadata');
  if (customMetadata !== undefined) {
    change.customMetadata = parseCustomMetadata(customMetadata, mode === 'patch');
    checkCustomMetadata(change.customMetadata);
  } else if (isReset('custom_metadata')) {
    change.customMetadata = {};
    change.replaceCustomMetadata = true;
  }
  return change;
}

function isEmptyChange(change: SettingsChange): boolean {
  return (
    change.maxVersions === undefined &&
    change.casRequired === undefined &&
    change.deleteVersionAfter === undefined &&
    change.customMetadata === undefined
  );
}

function applySettingsChange(meta: KeyMetadata, change: SettingsChange): void {
  if (change.maxVersions !== undefined) meta.maxVersions = change.maxVersions;
  if (change.casRequired !== undefined) meta.casRequired = change.casRequired;
  if (change.deleteVersionAfter !== undefined) meta.deleteVersionAfter = change.deleteVersionAfter;
  if (change.customMetadata === undefined) return;

  const base: JsonObject = change.replaceCustomMetadata ? {} : (meta.customMetadata ?? {});
  const merged = applyMergePatch(base, change.customMetadata) as Record<string, string>;
  // A patch can add keys to the stored ones, so the limits apply to the result.
  checkCustomMetadata(merged);
  meta.customMetadata = storedCustomMetadata(merged);
}

function casRequiredWarning(change: SettingsChange, config: EngineConfig): Response | null {
  if (change.casRequired === false && config.casRequired) return { warnings: [CAS_REQUIRED_WARNING] };
  return null;
}
