/**
 * The transit secrets engine: encryption as a service with Vault's HTTP API.
 * Callers send plaintext and get ciphertext back (and sign, verify, HMAC,
 * hash and generate random data) without ever holding a key.
 *
 * Storage layout, relative to the mount's storage view:
 *
 *   policy/<name>     one key with every version since min_available_version
 *                     (see keys/serialize.ts), encrypted by the server's barrier
 *   config/cache      {"size": n}, the cache limit set through cache-config
 *   import/wrapping-key
 *                     the RSA-4096 key that wraps key material for import,
 *                     made on the first read of wrapping_key (see
 *                     keys/wrapping-key.ts)
 *
 * Decrypted keys are cached in memory (see keys/key-store.ts) and dropped
 * when the server reports that another node changed their entry.
 */
import { Backend, type BackendConfig, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { AutoRotation, DEFAULT_ROTATION_CHECK_MS } from './auto-rotate.js';
import { systemClock, type Clock } from './clock.js';
import type { TransitContext } from './context.js';
import { KeyStore } from './keys/key-store.js';
import { WrappingKeyStore } from './keys/wrapping-key.js';
import { pathBackup, pathRestore } from './path-backup.js';
import { CACHE_CONFIG_KEY, pathCacheConfig, readCacheSize, startupCacheSize } from './path-cache-config.js';
import { pathConfig } from './path-config.js';
import { pathDatakey } from './path-datakey.js';
import { pathDecrypt } from './path-decrypt.js';
import { pathEncrypt } from './path-encrypt.js';
import { pathExport } from './path-export.js';
import { pathHash } from './path-hash.js';
import { pathHmac } from './path-hmac.js';
import { pathImport, pathImportVersion } from './path-import.js';
import { pathKeys, pathListKeys } from './path-keys.js';
import { pathRandom } from './path-random.js';
import { pathRewrap } from './path-rewrap.js';
import { pathRotate } from './path-rotate.js';
import { pathSign, pathVerify } from './path-sign.js';
import { pathTrim } from './path-trim.js';
import { pathWrappingKey } from './path-wrapping-key.js';

const HELP = `
The transit secrets engine encrypts, decrypts, signs, verifies and HMACs data
with named keys that never leave it, unless a key is made exportable. Keys have
versions: rotation adds one, and min_decryption_version retires old ones.`;

/** Settings for tests. The server uses the defaults. */
export interface TransitOptions {
  clock?: Clock;
  /** Milliseconds between automatic rotation checks. */
  rotationCheckMs?: number;
}

/** A transit backend together with its rotation schedule, for tests. */
export interface TransitBackend extends Backend {
  readonly autoRotation: AutoRotation;
}

/** Creates the backend for one mount. */
export function createBackend(config: BackendConfig, options: TransitOptions = {}): TransitBackend {
  const clock = options.clock ?? systemClock;
  const store = new KeyStore(clock);
  const wrappingKeys = new WrappingKeyStore(clock, config.logger);
  const context: TransitContext = { store, wrappingKeys, clock, logger: config.logger };
  const autoRotation = new AutoRotation(store, config.storage, clock, config.logger, options.rotationCheckMs ?? DEFAULT_ROTATION_CHECK_MS);

  const paths: PathDefinition<FieldMap>[] = [
    // The key sub-paths come before keys/:name. The name pattern cannot
    // contain "/", so keys/:name never matches them, and listing them first
    // keeps them reachable if that pattern ever changes.
    pathConfig(context),
    pathRotate(context),
    pathTrim(context),
    pathImport(context),
    pathImportVersion(context),
    pathListKeys(context),
    pathKeys(context),
    pathExport(context),
    pathEncrypt(context),
    pathDecrypt(context),
    pathRewrap(context),
    pathDatakey(context),
    pathRandom(),
    pathHash(),
    pathHmac(context),
    pathSign(context),
    pathVerify(context),
    pathBackup(context),
    pathRestore(context),
    pathCacheConfig(context),
    pathWrappingKey(context),
  ];

  const backend = new Backend({
    backendType: 'logical',
    help: HELP,
    paths,
    initialize: async () => {
      store.setCacheSize(await startupCacheSize(config.storage, config.logger));
      autoRotation.start();
      // Keys that fell due while the server was down rotate now, not a period later.
      void autoRotation.check();
    },
    cleanup: () => autoRotation.stop(),
    invalidate: (key) => {
      if (key === CACHE_CONFIG_KEY) {
        readCacheSize(config.storage).then(
          (size) => store.setCacheSize(size),
          (err: unknown) => config.logger.error({ err }, 'reading the cache size after an invalidation failed'),
        );
        return;
      }
      store.invalidate(key);
      wrappingKeys.invalidate(key);
    },
  });
  return Object.assign(backend, { autoRotation });
}
