/**
 * Random nonces for encryption, cut from a buffer of random bytes that is
 * refilled once used up. Filling 4 KiB costs about as much as filling 12
 * bytes, so encryption stops paying a call into the random generator per
 * nonce. The offset only moves forward until a refill, so each byte of a
 * pool goes into one nonce, and each nonce is a copy of those bytes.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let offset = 0;

/** Returns `size` fresh random bytes; `size` must not exceed 4096. */
export function randomNonce(size: number): Buffer {
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  const nonce = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return nonce;
}
