/**
 * Random nonces for encryption, cut from a 4 KiB buffer of random bytes that
 * is refilled once used up. Filling 4 KiB costs about as much as filling 12
 * bytes, and in one profile of KV writes the two calls per write (one per
 * sealed storage entry) took about 6% of the request thread.
 * Each byte of a pool goes into one nonce only, because the offset only
 * moves forward until the next refill.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * Returns `size` fresh random bytes for a nonce.
 * @throws RangeError when `size` is not an integer from 0 to 4096, so that
 * the offset only ever moves forward by whole bytes within the pool.
 */
export function randomNonce(size: number): Buffer {
  if (!Number.isInteger(size) || size < 0 || size > POOL_BYTES) {
    throw new RangeError(`invalid nonce size ${size}: use an integer from 0 to ${POOL_BYTES}`);
  }
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  const nonce = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return nonce;
}
