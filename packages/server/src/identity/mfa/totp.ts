/**
 * The TOTP arithmetic that login MFA needs: RFC 4226 HOTP values at RFC 6238
 * time steps, base32 keys (RFC 4648) and otpauth key URLs with a QR code.
 *
 * The TOTP secrets engine has its own copy of the algorithm. It is not
 * shared because plugins may import only @coffer/sdk, and the SDK does not
 * export one-time password helpers.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import QRCode from 'qrcode';

export const TOTP_ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;

export type TotpAlgorithm = (typeof TOTP_ALGORITHMS)[number];

/** The settings a code is computed and checked with. */
export interface TotpSettings {
  algorithm: TotpAlgorithm;
  /** 6 or 8. */
  digits: number;
  /** Seconds per time step. */
  period: number;
  /** Time steps accepted on either side of the current one: 0 or 1. */
  skew: number;
}

const HASH_NAMES: Record<TotpAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Encodes bytes as unpadded base32, the form otpauth URLs carry. */
export function base32Encode(bytes: Buffer): string {
  let output = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) output += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return output;
}

/** Decodes unpadded base32 that {@link base32Encode} wrote. */
export function base32Decode(text: string): Buffer {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const character of text) {
    const value = BASE32_ALPHABET.indexOf(character);
    if (value < 0) throw new Error(`invalid base32 character "${character}"`);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** Returns a new random key of `size` bytes, base32-encoded. */
export function generateTotpKey(size: number): string {
  return base32Encode(randomBytes(size));
}

/** Computes the HOTP value of `counter` (RFC 4226 section 5.3) with leading zeros kept. */
export function hotpCode(key: Buffer, counter: number, algorithm: TotpAlgorithm, digits: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(HASH_NAMES[algorithm], key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const truncated = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(truncated % 10 ** digits).padStart(digits, '0');
}

/**
 * Returns true when `code` is the TOTP value of `key` at the time step of
 * `nowMs` or, with skew 1, at the step before or after it. Every candidate
 * is compared in constant time, and all of them are compared, so the time
 * taken does not show which step matched.
 */
export function verifyTotpCode(key: Buffer, code: string, settings: TotpSettings, nowMs: number): boolean {
  if (code.length !== settings.digits || !/^[0-9]+$/.test(code)) return false;
  const submitted = Buffer.from(code);
  const step = Math.floor(nowMs / 1000 / settings.period);
  let matched = false;
  // A period longer than the seconds since 1970 puts every code in step 0, which has no step before it.
  for (let offset = Math.max(-settings.skew, -step); offset <= settings.skew; offset++) {
    const expected = Buffer.from(hotpCode(key, step + offset, settings.algorithm, settings.digits));
    if (timingSafeEqual(expected, submitted)) matched = true;
  }
  return matched;
}

/**
 * Builds the otpauth URL of a key in the Key URI format of Google
 * Authenticator, which authenticator apps read from the QR code.
 */
export function totpKeyUrl(issuer: string, accountName: string, secret: string, settings: TotpSettings): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const query = new URLSearchParams({
    algorithm: settings.algorithm,
    digits: String(settings.digits),
    issuer,
    period: String(settings.period),
    secret,
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}

/** Renders `text` as a PNG QR code `size` pixels wide, with error correction level M. */
export function renderQrPng(text: string, size: number): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: 'png', width: size, errorCorrectionLevel: 'M', margin: 4 });
}
