/**
 * One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238), and the base32
 * encoding (RFC 4648) that keys travel in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The hash algorithms of a key, spelled as Vault and otpauth URLs spell them. */
export const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;

export type Algorithm = (typeof ALGORITHMS)[number];

/** The code lengths Vault allows. */
export const DIGITS = [6, 8] as const;

export type Digits = (typeof DIGITS)[number];

const NODE_HASH: Record<Algorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Lengths of a final base32 group, in characters, that encode whole bytes (RFC 4648 section 6). */
const VALID_TAIL_LENGTHS = new Set([0, 2, 4, 5, 7]);

/** The settings a code is computed with. */
export interface OtpParameters {
  algorithm: Algorithm;
  digits: Digits;
  /** Seconds per time step. */
  period: number;
}

/** Returns true when `value` is one of {@link ALGORITHMS}. Case matters, as in Vault. */
export function isAlgorithm(value: string): value is Algorithm {
  return (ALGORITHMS as readonly string[]).includes(value);
}

/** Returns true when `value` is one of {@link DIGITS}. */
export function isDigits(value: number): value is Digits {
  return (DIGITS as readonly number[]).includes(value);
}

/**
 * Computes the HOTP value of `counter` (RFC 4226 section 5.3): an HMAC of
 * the 8-byte big-endian counter, dynamic truncation, then the low `digits`
 * decimal digits with leading zeros kept.
 */
export function hotp(key: Buffer, counter: number, algorithm: Algorithm, digits: Digits): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(NODE_HASH[algorithm], key).update(message).digest();

  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** Returns the RFC 6238 time step of `nowMs` for `period` seconds, counted from the Unix epoch. */
export function timeStep(nowMs: number, period: number): number {
  return Math.floor(Math.floor(nowMs / 1000) / period);
}

/** Computes the TOTP code of `key` at `nowMs` (RFC 6238 section 4.2). */
export function totp(key: Buffer, nowMs: number, parameters: OtpParameters): string {
  return hotp(key, timeStep(nowMs, parameters.period), parameters.algorithm, parameters.digits);
}

/**
 * Checks `code` against the codes of the current time step and of `skew`
 * steps on either side, as Vault does. Every candidate is compared in
 * constant time, and all of them are compared, so timing does not tell which
 * step matched. A code of the wrong length or with non-digits is never valid.
 */
export function verifyTotp(key: Buffer, code: string, nowMs: number, parameters: OtpParameters & { skew: number }): boolean {
  if (!isWellFormedCode(code, parameters.digits)) return false;

  const submitted = Buffer.from(code, 'ascii');
  const current = timeStep(nowMs, parameters.period);
  let matched = false;
  for (let step = current - parameters.skew; step <= current + parameters.skew; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(hotp(key, step, parameters.algorithm, parameters.digits), 'ascii');
    // The comparison comes first, so no match skips a later candidate.
    matched = timingSafeEqual(expected, submitted) || matched;
  }
  return matched;
}

/** Returns true when `code` is exactly `digits` ASCII decimal digits. */
export function isWellFormedCode(code: string, digits: number): boolean {
  return code.length === digits && /^[0-9]+$/.test(code);
}

/** Encodes bytes as unpadded uppercase base32, the form otpauth URLs carry. */
export function encodeBase32(bytes: Buffer): string {
  let output = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      output += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) output += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return output;
}

/**
 * Decodes base32 the way Vault reads a key: letters of either case, with or
 * without trailing `=` padding. Trailing bits past the last whole byte are
 * ignored, as Go's decoder ignores them.
 *
 * @returns The bytes, or a problem that names the offending offset but never
 *   repeats the input, which is a secret.
 */
export function decodeBase32(text: string): { bytes: Buffer } | { problem: string } {
  const unpadded = text.replace(/=+$/, '').toUpperCase();
  const values: number[] = [];
  for (let index = 0; index < unpadded.length; index++) {
    const value = BASE32_ALPHABET.indexOf(unpadded[index]!);
    if (value === -1) return { problem: `illegal base32 data at input byte ${index}` };
    values.push(value);
  }
  if (!VALID_TAIL_LENGTHS.has(unpadded.length % 8)) {
    return { problem: `base32 data of length ${unpadded.length} does not encode whole bytes` };
  }

  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const value of values) {
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >>> bits) & 0xff);
    }
  }
  return { bytes: Buffer.from(bytes) };
}
