/**
 * The mount's RSA-4096 wrapping key, which clients use to wrap key material
 * for import. The first read of `wrapping_key` generates it on libuv's
 * thread pool, so the event loop keeps serving. It is stored at
 * `import/wrapping-key` in the mount's storage, so it stays the same across
 * restarts and on every node that shares the storage.
 */
import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { internalError, KeyedLock, type Logger, type Storage } from '@coffer/sdk';
import type { Clock } from '../clock.js';

export const WRAPPING_KEY_STORAGE_KEY = 'import/wrapping-key';

const WRAPPING_KEY_BITS = 4096;

/** Version of the stored document's layout. */
const FORMAT = 1;

const generateRsaKeyPair = promisify(generateKeyPair);

export class WrappingKeyStore {
  private cached: KeyObject | undefined;
  /** Bumped around writes and invalidations, so a read that overlaps one does not cache what it loaded. */
  private generation = 0;
  private readonly lock = new KeyedLock();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Returns the private wrapping key, or null when none was generated yet.
   * @throws CofferError (500) when the stored key cannot be read.
   */
  async find(storage: Storage): Promise<KeyObject | null> {
    if (this.cached !== undefined) return this.cached;

    const generation = this.generation;
    const entry = await storage.get(WRAPPING_KEY_STORAGE_KEY);
    if (entry === null) return null;
    const key = parseWrappingKey(entry.value);
    if (this.generation === generation) this.cached = key;
    return key;
  }

  /** Returns the private wrapping key, generating and storing it first if there is none. */
  async findOrCreate(storage: Storage): Promise<KeyObject> {
    const existing = await this.find(storage);
    if (existing !== null) return existing;

    // Concurrent first reads wait here, and all but the first find the stored key.
    return this.lock.run(WRAPPING_KEY_STORAGE_KEY, async () => {
      const stored = await this.find(storage);
      if (stored !== null) return stored;

      const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: WRAPPING_KEY_BITS, publicExponent: 0x10001 });
      const document = {
        format: FORMAT,
        created_at: this.clock.now(),
        private_key: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
      };
      this.generation += 1;
      await storage.put({ key: WRAPPING_KEY_STORAGE_KEY, value: Buffer.from(JSON.stringify(document)) });
      this.generation += 1;
      this.cached = privateKey;
      this.logger.info({ bits: WRAPPING_KEY_BITS }, 'wrapping key generated');
      return privateKey;
    });
  }

  /** Drops the cached key when another node changed its entry, given the storage key. */
  invalidate(storageKey: string): void {
    if (storageKey !== WRAPPING_KEY_STORAGE_KEY) return;
    this.generation += 1;
    this.cached = undefined;
  }
}

function parseWrappingKey(value: Buffer): KeyObject {
  let key: KeyObject;
  try {
    const document = JSON.parse(String(value)) as { format?: unknown; private_key?: unknown };
    if (document.format !== FORMAT || typeof document.private_key !== 'string') throw new Error('unexpected layout');
    key = createPrivateKey({ key: Buffer.from(document.private_key, 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    // The parser's message may quote the stored text, which contains the private key.
    throw internalError('stored wrapping key cannot be read: it is not a Coffer wrapping key document');
  }
  if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== WRAPPING_KEY_BITS) {
    throw internalError(`stored wrapping key is not an RSA-${WRAPPING_KEY_BITS} key`);
  }
  return key;
}
