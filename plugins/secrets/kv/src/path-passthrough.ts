/**
 * KV v1: one unversioned JSON object per path, stored as written.
 */
import {
  badRequest,
  definePath,
  notFound,
  parseDurationSeconds,
  stringifyJson,
  type FieldMap,
  type PathDefinition,
  type Request,
  type Response,
  type SystemView,
} from '@coffer/sdk';
import type { JsonObject } from './json.js';
import { asFolder, checkListPrefix, checkSecretPath, isValidSecretPath, MAX_PATH_SEGMENTS, MAX_SEGMENT_BYTES } from './secret-path.js';
import { readJson, writeJson } from './store.js';

export function pathPassthrough(system: SystemView): PathDefinition<FieldMap> {
  return definePath({
    // No named capture: the secret's path comes from request.path, so a
    // secret may hold a field called "path" like any other.
    pattern: '.*',
    fields: {},
    takesArbitraryInput: true,
    existenceCheck: async (request) => isValidSecretPath(request.path) && (await request.storage.get(request.path)) !== null,
    operations: {
      read: async (request) => readSecret(request, system),
      create: async (request, fields) => writeSecret(request, fields.raw),
      update: async (request, fields) => writeSecret(request, fields.raw),
      delete: async (request) => {
        checkSecretPath(request.path);
        await request.storage.delete(request.path);
        return null;
      },
      list: async (request) => listSecrets(request),
    },
    helpSynopsis: 'Read, write, delete and list unversioned secrets.',
    helpDescription: `
A write stores the request's fields as the secret, replacing what was there. A
read returns them, with lease_duration taken from the secret's "ttl" field, or
the mount's default lease TTL when it has none or it is 0, and creates no lease.
lease_duration is at most the mount's maximum lease TTL. A LIST on
a folder returns the secrets and sub-folders below it. A path has at most
${MAX_PATH_SEGMENTS} "/"-separated segments of at most ${MAX_SEGMENT_BYTES} bytes each.`,
  });
}

async function readSecret(request: Request, system: SystemView): Promise<Response> {
  checkSecretPath(request.path);

  const data = await readJson(request.storage, request.path);
  if (data === null) throw notFound(`secret "${request.path}" not found`);

  return {
    data,
    // Vault reports a TTL for KV v1 reads without creating a lease, as a hint
    // of when to read the secret again. No lease is registered, so leaseTtl
    // applies the mount's maximum itself.
    secret: { ttl: leaseTtl(data, system), maxTtl: 0, renewable: false, internalData: {}, passthrough: true },
  };
}

/**
 * Returns the TTL in seconds that a read reports: the secret's "ttl" field,
 * else its legacy "lease" field, else the mount's default. As in Vault, an
 * unparsable stored value or a TTL of 0 means the default. The result is
 * capped at the mount's maximum lease TTL, as Vault caps it.
 */
function leaseTtl(data: JsonObject, system: SystemView): number {
  const raw = Object.hasOwn(data, 'ttl') ? data.ttl : Object.hasOwn(data, 'lease') ? data.lease : undefined;
  const seconds = raw === undefined ? null : parseDurationSeconds(raw);
  const ttl = seconds === null || seconds === 0 ? system.defaultLeaseTtl() : seconds;
  // An out-of-process plugin reports 0 until it has fetched the host's TTLs,
  // so 0 means the maximum is unknown and nothing is capped.
  const maxTtl = system.maxLeaseTtl();
  return maxTtl > 0 ? Math.min(ttl, maxTtl) : ttl;
}

async function writeSecret(request: Request, data: JsonObject): Promise<null> {
  checkSecretPath(request.path);
  if (Object.keys(data).length === 0) {
    throw badRequest(`missing data fields: send at least one key/value pair to store at "${request.path}"`);
  }
  if (Object.hasOwn(data, 'ttl') && parseDurationSeconds(data.ttl) === null) {
    throw badRequest(
      `invalid field "ttl": expected a duration such as 30, "30s", "90m" or "1h", got ${stringifyJson(data.ttl)}`,
    );
  }

  await writeJson(request.storage, request.path, data);
  return null;
}

async function listSecrets(request: Request): Promise<Response> {
  const prefix = asFolder(request.path);
  checkListPrefix(prefix);

  const keys = await request.storage.list(prefix);
  if (keys.length === 0) throw notFound(`no secrets found under "${request.mountPoint}${prefix}"`);
  return { data: { keys } };
}
