/**
 * Keyed hashes, so that storage contains no role ID, secret ID or accessor
 * in clear. Role IDs and accessors are indexed by an HMAC under the mount's
 * salt, and secret IDs and role names by an HMAC under the role's own key.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Storage } from '@coffer/sdk';

/** Vault's limit on a value it HMACs, such as a custom secret ID or a role name. */
export const MAX_HMAC_INPUT_BYTES = 4096;

const SALT_KEY = 'salt';

/** Returns the hex HMAC-SHA256 of `value` under `key`. */
export function hmacHex(key: string, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

/** Compares two secrets in constant time, whatever their lengths. */
export function secretsEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

/** The mount's random salt, created on first use and then cached. */
export class MountSalt {
  private loading: Promise<string> | undefined;

  /** Returns the salted hash of `id`, the form in which it appears in storage keys. */
  async saltedId(storage: Storage, id: string): Promise<string> {
    return hmacHex(await this.load(storage), id);
  }

  /** Drops the cached salt, after another node changed the stored one. */
  invalidate(): void {
    this.loading = undefined;
  }

  private load(storage: Storage): Promise<string> {
    // One shared promise, so two first requests cannot create two salts.
    this.loading ??= loadOrCreate(storage).catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }
}

async function loadOrCreate(storage: Storage): Promise<string> {
  const stored = await storage.get(SALT_KEY);
  if (stored !== null) return stored.value.toString('utf8');

  const salt = randomBytes(32).toString('hex');
  await storage.put({ key: SALT_KEY, value: Buffer.from(salt) });
  return salt;
}
