/**
 * The KV secrets engine. The mount option `version` picks the behaviour:
 * `"1"` (the default, as in Vault) stores one unversioned object per path,
 * `"2"` keeps versions with metadata, check-and-set and soft deletes.
 *
 * Storage layout, relative to the mount's storage view:
 *
 *   KV v1
 *     <path>                          the secret's fields as a JSON object
 *
 *   KV v2
 *     config                          engine settings (EngineConfig as JSON)
 *     upgrade                         the record that storage is in this layout
 *                                     (see upgrade.ts)
 *     metadata/<path>                 one key's metadata (KeyMetadata as JSON),
 *                                     including the state of every kept version
 *     versions/<sha256(path)>/<n>     data of version n, as {"data": {...}}
 *
 * Listing `metadata/<folder>/` is a single storage list, because metadata
 * keys mirror the secret paths. Version data sits under a hash of the path
 * so that secrets `a` and `a/1` never share a storage key.
 *
 * Writes that touch several entries are ordered so that a crash between
 * them leaves storage readable: version data is written before the metadata
 * that lists it, and removed only after the metadata stops listing it. What a
 * crash can leave behind is data that no metadata points at, and later
 * writes and deletes of the same key remove it.
 *
 * NOTE: the barrier encrypts storage values but not keys, so anyone with
 * read access to the storage backend can see secret paths, as in Vault's
 * KV v1. Vault's KV v2 encrypts its metadata keys, but this engine does not.
 */
import { Backend, badRequest, type BackendConfig, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { createSystemClock, type Clock } from './clock.js';
import { pathConfig } from './path-config.js';
import { pathData } from './path-data.js';
import { pathDelete, pathUndelete } from './path-delete.js';
import { pathDestroy } from './path-destroy.js';
import { pathInvalid } from './path-invalid.js';
import { pathMetadata } from './path-metadata.js';
import { pathPassthrough } from './path-passthrough.js';
import { pathSubkeys } from './path-subkeys.js';
import { MAX_PATH_SEGMENTS, MAX_SEGMENT_BYTES } from './secret-path.js';
import { VersionedStore } from './store.js';
import { upgradeToVersioned } from './upgrade.js';

const PATH_LIMITS_HELP = `
A secret path has at most ${MAX_PATH_SEGMENTS} "/"-separated segments of at most ${MAX_SEGMENT_BYTES} bytes
each (UTF-8), and a longer or deeper path is rejected with 400.`;

const HELP_V1 = `
The kv secrets engine, version 1, stores arbitrary secrets at any path. A write
replaces the secret, and nothing keeps earlier values. A "ttl" field in a secret is
returned as lease_duration on reads, as a hint of when to read it again, capped
at the mount's maximum lease TTL.
${PATH_LIMITS_HELP}`;

const HELP_V2 = `
The kv secrets engine, version 2, keeps a configurable number of versions of
each secret. Reads and writes go through data/, settings and version history
through metadata/, and delete/, undelete/ and destroy/ act on chosen versions.
Writes can be made conditional with check-and-set.
${PATH_LIMITS_HELP}`;

/** Returns the KV version named by the mount options, or throws a 400 naming the option. */
export function kvVersion(options: Record<string, string>): 1 | 2 {
  const version = options.version ?? '';
  if (version === '' || version === '1') return 1;
  if (version === '2') return 2;
  throw badRequest(`invalid mount option "version": "${version}" is not a KV version: use "1" or "2"`);
}

/**
 * Creates the backend for one mount. `clock` exists for tests, which need
 * to move time forward to check deletion times.
 */
export function createBackend(config: BackendConfig, clock: Clock = createSystemClock()): Backend {
  if (kvVersion(config.options) === 1) {
    return new Backend({
      backendType: 'logical',
      help: HELP_V1,
      paths: [pathPassthrough(config.system)],
    });
  }

  const store = new VersionedStore(clock, config.logger);
  const paths: PathDefinition<FieldMap>[] = [
    pathConfig(store),
    pathData(store),
    pathMetadata(store),
    pathDelete(store),
    pathUndelete(store),
    pathDestroy(store),
    pathSubkeys(store),
    // Order matters here only: the catch-all matches every path, so it must
    // come last. The paths above start with distinct literal prefixes and
    // never match the same request.
    pathInvalid(),
  ];
  return new Backend({
    backendType: 'logical',
    help: HELP_V2,
    paths,
    // Runs before the mount serves requests, so no request reads a mount
    // that is half in the version 1 layout.
    initialize: async () => {
      await upgradeToVersioned(store, config.storage, config.logger);
    },
    invalidate: (key) => store.invalidate(key),
  });
}
