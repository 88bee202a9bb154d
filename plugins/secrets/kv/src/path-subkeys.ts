/**
 * KV v2 `subkeys/:path`: the structure of a version's data with every leaf
 * value replaced by `null`, so a caller can see which keys exist without
 * the read capability on the data.
 */
import { definePath, notFound, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import { checkNotNegative, checkVersionNumber, PATH_FIELD, VERSION_FIELD } from './fields.js';
import { isJsonObject, setOwn, type JsonObject } from './json.js';
import { versionSummary } from './metadata.js';
import { respondWithStatus } from './respond.js';
import { checkSecretPath } from './secret-path.js';
import type { VersionedStore } from './store.js';

const FIELDS = {
  path: PATH_FIELD,
  version: VERSION_FIELD,
  depth: {
    type: 'int',
    description: 'Deepest nesting level to return, whose keys are returned as null. 0 or unset means no limit.',
  },
} as const;

export function pathSubkeys(store: VersionedStore): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'subkeys/(?<path>.*)',
    fields: FIELDS,
    operations: {
      read: async (request, fields) => {
        const path = fields.get('path');
        checkSecretPath(path);
        const version = checkVersionNumber(fields.get('version'));
        const depth = checkNotNegative('depth', fields.get('depth'), 'use 0 for no limit or a positive nesting level');
        return readSubkeys(store, request, path, version, depth);
      },
    },
    helpSynopsis: "Read the keys of a secret's data without their values.",
    helpDescription: `
Returns the data of the current version, or of "version", with every value
that is not a non-empty object replaced by null. "depth" limits the nesting:
keys at that level are null even when they hold objects.`,
  });
}

async function readSubkeys(store: VersionedStore, request: Request, path: string, version: number, depth: number): Promise<Response> {
  const found = await store.lookupVersion(request.storage, path, version);
  if (found.kind === 'missing') {
    throw notFound(version > 0 ? `version ${version} of secret "${path}" not found` : `secret "${path}" not found`);
  }

  const body = {
    metadata: versionSummary(found.meta, found.number),
    subkeys: found.kind === 'readable' ? stripValues(found.data, depth) : null,
  };
  if (found.kind === 'unreadable') return respondWithStatus(request, 404, body);
  return { data: body };
}

/**
 * Returns a copy of `data` with the values removed: a non-empty object above
 * `maxDepth` keeps its keys, and everything else becomes `null`. Top-level
 * keys are at depth 1, and a `maxDepth` of 0 means no limit.
 */
export function stripValues(data: JsonObject, maxDepth: number): JsonObject {
  const walk = (object: JsonObject, depth: number): JsonObject => {
    const result: JsonObject = {};
    for (const [key, value] of Object.entries(object)) {
      const descend = isJsonObject(value) && Object.keys(value).length > 0 && (maxDepth === 0 || depth < maxDepth);
      setOwn(result, key, descend ? walk(value as JsonObject, depth + 1) : null);
    }
    return result;
  };
  return walk(data, 1);
}
