/**
 * Splitting the unseal key into shares and collecting shares back, for
 * init, unseal and rekey alike.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { badRequest, type FieldData, type FieldMap } from '@coffer/sdk';
import { KEY_BYTES } from '../barrier/aead.js';
import { combine, split } from './shamir.js';

/** Splits `key` into `shares` shares; a 1-of-1 split is the key itself. */
export function splitKey(key: Buffer, shares: number, threshold: number): Buffer[] {
  if (shares === 1) return [Buffer.from(key)];
  return split(key, shares, threshold);
}

/**
 * Checks share counts the way Vault's init and rekey do. `fields` names the
 * request fields in the messages: the unseal key fields by default, the
 * recovery key fields for an auto seal.
 */
export function validateShareCounts(
  shares: number,
  threshold: number,
  fields: { shares: string; threshold: string } = { shares: 'secret_shares', threshold: 'secret_threshold' },
): void {
  const { shares: sharesField, threshold: thresholdField } = fields;
  if (!Number.isInteger(shares) || shares < 1) throw badRequest(`invalid "${sharesField}" ${shares}: must be at least 1`);
  if (shares > 255) throw badRequest(`invalid "${sharesField}" ${shares}: must be at most 255`);
  if (!Number.isInteger(threshold) || threshold < 1) throw badRequest(`invalid "${thresholdField}" ${threshold}: must be at least 1`);
  if (threshold > shares) {
    throw badRequest(`invalid "${thresholdField}" ${threshold}: must not exceed "${sharesField}" ${shares}`);
  }
  if (shares > 1 && threshold === 1) {
    throw badRequest(`invalid "${thresholdField}" 1: must be at least 2 when "${sharesField}" is ${shares}`);
  }
}

/**
 * Returns the length of one key share of a split with `threshold`. A share is
 * the key plus one byte of x coordinate, except in a 1-of-1 split, where it is the key.
 */
export function shareBytes(threshold: number): number {
  return threshold === 1 ? KEY_BYTES : KEY_BYTES + 1;
}

/**
 * Decodes a key share given as hex or base64 and checks its length, so that a
 * mistyped share is rejected before it counts towards progress. Hex text of the
 * wrong length is tried as base64, because base64 text can consist of hex digits only.
 * @throws CofferError (400) naming the field.
 */
export function decodeShare(text: string, threshold: number, field = 'key'): Buffer {
  const trimmed = text.trim();
  const expected = shareBytes(threshold);
  const hex = /^(?:[0-9a-fA-F]{2})+$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : undefined;
  if (hex?.length === expected) return hex;
  const base64 = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && trimmed.length % 4 === 0 ? Buffer.from(trimmed, 'base64') : undefined;
  if (base64?.length === expected) return base64;

  // Text made of hex digits was most likely meant as hex, so report its hex length.
  const decoded = hex ?? base64;
  if (decoded === undefined || decoded.length === 0) throw badRequest(`invalid "${field}": must be a hex or base64 encoded key share`);
  throw badRequest(
    `invalid "${field}": the key share is ${decoded.length} bytes but must be ${expected} bytes. Progress is unchanged, so submit the correct share`,
  );
}

/**
 * Collects key shares until the threshold is reached. The same share given
 * twice counts once.
 */
export class ShareCollector {
  private readonly shares: Buffer[] = [];
  private readonly digests: Buffer[] = [];

  constructor(readonly threshold: number) {}

  get progress(): number {
    return this.shares.length;
  }

  /** Adds a share; returns false when it was already given. */
  add(share: Buffer): boolean {
    const digest = createHash('sha256').update(share).digest();
    if (this.digests.some((known) => timingSafeEqual(known, digest))) return false;
    this.shares.push(Buffer.from(share));
    this.digests.push(digest);
    return true;
  }

  get complete(): boolean {
    return this.shares.length >= this.threshold;
  }

  /** Combines the shares into the key. Call only once `complete` is true. */
  combine(): Buffer {
    if (this.threshold === 1) return Buffer.from(this.shares[0]);
    return combine(this.shares);
  }

  /** Forgets every share. */
  reset(): void {
    for (const share of this.shares) share.fill(0);
    this.shares.length = 0;
    this.digests.length = 0;
  }
}

/** The request fields that name recovery key counts, for `validateShareCounts` with an auto seal. */
export const RECOVERY_SHARE_FIELDS = { shares: 'recovery_shares', threshold: 'recovery_threshold' };

/**
 * Returns the `key` and `nonce` fields of a share submission. The paths
 * check them here rather than declaring them required, so that a sealed
 * server responds with 503 before it looks at the body.
 * @throws CofferError (400) naming each missing field.
 */
export function shareSubmission(fields: FieldData<FieldMap>): { key: string; nonce: string } {
  const key = fields.get('key') as string;
  const nonce = fields.get('nonce') as string;
  const missing = [key === '' ? 'key' : undefined, nonce === '' ? 'nonce' : undefined].filter((name) => name !== undefined);
  if (missing.length > 0) throw badRequest(missing.map((name) => `missing required field "${name}"`).join('; '));
  return { key, nonce };
}
