/**
 * `cache-config`: how many key policies the mount keeps decrypted in memory.
 */
import { definePath, type FieldMap, type Logger, type PathDefinition, type Storage } from '@coffer/sdk';
import type { TransitContext } from './context.js';
import { invalidField } from './errors.js';

/** Storage key of the cache settings. */
export const CACHE_CONFIG_KEY = 'config/cache';

/** Vault's smallest limited cache. */
const MIN_CACHE_SIZE = 10;

export function pathCacheConfig(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'cache-config',
    fields: {
      size: { type: 'int', default: 0, description: `Maximum number of keys kept in memory: 0 (the default) for no limit, else at least ${MIN_CACHE_SIZE}.` },
    },
    operations: {
      read: async (request) => ({ data: { size: await readCacheSize(request.storage) } }),
      update: async (request, fields) => {
        const size = fields.get('size');
        if (size < 0 || (size !== 0 && size < MIN_CACHE_SIZE)) {
          throw invalidField('size', `${size}: use 0 for no limit or at least ${MIN_CACHE_SIZE}`);
        }
        // A size above 2^53 is not stored exactly, and readCacheSize rejects it.
        if (!Number.isSafeInteger(size)) throw invalidField('size', `${size} is above the maximum of ${Number.MAX_SAFE_INTEGER}`);
        await request.storage.put({ key: CACHE_CONFIG_KEY, value: Buffer.from(JSON.stringify({ size })) });
        context.store.setCacheSize(size);
        return { data: { size } };
      },
    },
    helpSynopsis: 'Configure how many keys the mount keeps in memory.',
    helpDescription: `
A size of 0 keeps every key that was used in memory. A larger size keeps that
many and drops the least recently used. A new size applies at once and empties
the cache.`,
  });
}

/**
 * Returns the stored cache size for a starting mount, or 0 (no limit) when the
 * entry is unreadable, because a failed start of a mount stops the server unsealing.
 */
export async function startupCacheSize(storage: Storage, logger: Logger): Promise<number> {
  try {
    return await readCacheSize(storage);
  } catch (err) {
    logger.error({ err }, 'reading the cache size failed, so the cache has no limit');
    return 0;
  }
}

/**
 * Returns the stored cache size, 0 when none is stored.
 * @throws Error when the stored entry is not the JSON this path writes.
 */
export async function readCacheSize(storage: Storage): Promise<number> {
  const entry = await storage.get(CACHE_CONFIG_KEY);
  if (entry === null) return 0;
  const parsed: unknown = JSON.parse(entry.value.toString('utf8'));
  const size = (parsed as { size?: unknown }).size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new Error(`stored cache size ${JSON.stringify(size)} is invalid`);
  return size;
}
