/**
 * Request bodies of the transit benchmarks, shared by bench/transit.mjs and
 * bench/instructions.mjs: encrypt bodies whose plaintexts carry a request
 * counter, and decrypt bodies encrypted in advance, so that no two requests
 * of a run send the same value.
 */
import { createCipheriv, randomBytes } from 'node:crypto';

/** Bytes of the request counter written over the start of a plaintext, chosen because 6 bytes are exactly 8 base64 characters. */
export const COUNTER_BYTES = 6;
/** First counter of the decrypt scenarios, half of the 6-byte range, so that no decrypted plaintext repeats an encrypted one. */
export const DECRYPT_FIRST_COUNTER = 2 ** 47;
/** Bytes of a transit AES-GCM nonce and tag. */
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

const counterBuffer = Buffer.alloc(COUNTER_BYTES);

/** Returns the base64 of `counter` as COUNTER_BYTES big-endian bytes: 8 characters without padding. */
function counterBase64(counter) {
  counterBuffer.writeUIntBE(counter, 0, COUNTER_BYTES);
  return counterBuffer.toString('base64');
}

/**
 * Returns base64 `base` with its first 8 characters replaced by the base64
 * of `counter`, which is valid base64 of the same length because 6 bytes
 * encode to exactly 8 characters.
 */
export function withCounter(base, counter) {
  const encoded = counterBase64(counter);
  return encoded + base.slice(encoded.length);
}

/**
 * Returns an autocannon `setupRequest` that gives each request the encrypt
 * body of `withCounter(base, counter)`, with the counter starting at
 * `firstCounter` and rising by one per request over all connections. It
 * writes 8 bytes of one body buffer in place, because autocannon copies the
 * body into the request it sends before asking for the next one. A new
 * buffer per request made the load generator, which shares the CPUs with
 * the server under test, collect garbage every 100 ms or so with 4 KiB
 * payloads, and its pauses showed up in the servers' p99.
 */
export function distinctEncryptBodies(base, firstCounter) {
  const body = Buffer.from(JSON.stringify({ plaintext: base }));
  const offset = body.indexOf(base);
  let counter = firstCounter;
  return (request) => {
    body.write(counterBase64(counter), offset, 'latin1');
    counter += 1;
    return { ...request, body };
  };
}

/**
 * Encrypts the decrypt bodies of one payload and server in advance and
 * returns an autocannon `setupRequest` that sends them in turn. Body `i`
 * carries `withCounter(base, firstCounter + i)` encrypted under `key` with a
 * random nonce, in transit's `vault:v1:` form. All bodies of a payload have
 * one length, so they share one buffer, which the garbage collector does
 * not walk. After `count` requests the bodies come round again.
 */
export function decryptBodies(base, key, firstCounter, count) {
  const ciphertextChars = ciphertextLength(base);
  const template = Buffer.from(JSON.stringify({ ciphertext: `vault:v1:${'A'.repeat(ciphertextChars)}` }));
  const offset = template.indexOf('A'.repeat(ciphertextChars));
  const pool = Buffer.alloc(count * template.length);
  for (let i = 0; i < count; i++) {
    const start = i * template.length;
    template.copy(pool, start);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    const plaintext = Buffer.from(withCounter(base, firstCounter + i), 'base64');
    const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    pool.write(sealed.toString('base64'), start + offset, 'latin1');
  }
  let next = 0;
  return (request) => {
    const body = pool.subarray(next * template.length, (next + 1) * template.length);
    next = (next + 1) % count;
    return { ...request, body };
  };
}

/** Returns the length in bytes of each decrypt body that `decryptBodies` makes for `base`. */
export function decryptBodyLength(base) {
  return JSON.stringify({ ciphertext: `vault:v1:${'A'.repeat(ciphertextLength(base))}` }).length;
}

/** Returns the length of the base64 of a nonce, the encryption of `base`'s bytes and a tag. */
function ciphertextLength(base) {
  const plaintextBytes = Buffer.from(base, 'base64').length;
  return Math.ceil((NONCE_BYTES + plaintextBytes + TAG_BYTES) / 3) * 4;
}
