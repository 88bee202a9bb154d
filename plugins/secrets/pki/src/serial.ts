/**
 * Certificate serial numbers: generation and the two spellings Vault uses,
 * colon-separated hex in the API and hyphen-separated hex in storage keys.
 */
import { randomBytes } from 'node:crypto';
import { invalidField } from './errors.js';

/**
 * Returns a new random serial number of 20 bytes as hex. RFC 5280 allows at
 * most 20 octets and needs a positive integer, so the top bit is cleared,
 * and the first byte is never 0 so that the DER encoding keeps all 20 bytes.
 */
export function generateSerialHex(): string {
  const bytes = randomBytes(20);
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** Formats hex as Vault prints serial numbers: lowercase byte pairs joined by colons, leading zero bytes dropped. */
export function formatSerial(hex: string): string {
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  // DER may pad a positive integer with a zero byte; Vault prints the integer without it.
  const trimmed = even.toLowerCase().replace(/^(00)+(?=..)/, '');
  return (trimmed.match(/../g) ?? []).join(':');
}

/**
 * Normalizes a serial number from a request, written with colons or hyphens,
 * to the colon form.
 * @throws CofferError (400) naming `field` when the value is not hex byte pairs.
 */
export function parseSerial(field: string, value: string): string {
  const text = value.trim().toLowerCase().replace(/-/g, ':');
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2})*$/.test(text)) {
    throw invalidField(field, `"${value}" is not a serial number: use hex byte pairs separated by colons or hyphens`);
  }
  return text;
}

/** Returns the storage key segment of a serial number in colon form. */
export function serialStorageName(serial: string): string {
  return serial.replace(/:/g, '-');
}

/** Returns the colon form of a storage key segment. */
export function serialFromStorageName(name: string): string {
  return name.replace(/-/g, ':');
}
