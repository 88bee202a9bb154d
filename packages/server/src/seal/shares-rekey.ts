/**
 * A rekey of a key split into shares, as Vault's `sys/rekey` (the unseal
 * key of the Shamir seal) and `sys/rekey-recovery-key` (the recovery key of
 * an auto seal). A threshold of the current shares authorizes a new key,
 * split into new shares. With `require_verification`, the new key is stored
 * only after a threshold of the new shares is submitted back, as proof that
 * the holders received them. Until then the current shares stay valid, so a
 * response with new shares that never reached its holders locks no one out.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { badRequest } from '@coffer/sdk';
import { KEY_BYTES } from '../barrier/aead.js';
import { decodeShare, ShareCollector, splitKey, validateShareCounts } from './key-shares.js';
import type { RekeyStatus } from './shamir-seal.js';

/** The operations of the seal that the rekey uses. */
export interface RekeyStore {
  /** Returns the threshold of the current key shares. */
  keyThreshold(): number;
  /**
   * Checks that the collected shares combine to the current key, and returns
   * what `replace` needs to store a new key, such as the root key that the
   * current key unwraps. The rekey zeroes that buffer when it is done.
   * @throws CofferError (400) when the shares are wrong.
   */
  authorize(collector: ShareCollector): Promise<Buffer | undefined>;
  /** Stores the new key with its share counts, using what `authorize` returned. */
  replace(key: Buffer, shares: number, threshold: number, grant: Buffer | undefined): Promise<void>;
}

/** The words of one kind of rekey in its messages. */
export interface RekeyWording {
  /** The operation, such as "rekey" or "recovery key rekey". */
  operation: string;
  /** The API prefix, such as "sys/rekey". */
  path: string;
  /** The key being replaced, such as "unseal key". */
  key: string;
}

/** Status of `<path>/init`, with the verification nonce while one is pending. */
export interface SharesRekeyStatus extends RekeyStatus {
  verification_nonce?: string;
}

/** Response of the `update` call that completes the share collection. */
export interface SharesRekeyResult {
  complete: true;
  nonce: string;
  keys: string[];
  keys_base64: string[];
  pgp_fingerprints: null;
  backup: false;
  verification_required: boolean;
  verification_nonce?: string;
}

export interface VerificationStatus {
  nonce: string;
  started: boolean;
  t: number;
  n: number;
  progress: number;
}

/** A new key waiting for a threshold of its own shares. */
interface PendingKey {
  key: Buffer;
  /** The buffer that `authorize` returned, kept for `replace`. */
  grant: Buffer | undefined;
  nonce: string;
  collector: ShareCollector;
}

interface Attempt {
  nonce: string;
  shares: number;
  threshold: number;
  requireVerification: boolean;
  /** Current shares given so far. */
  collector: ShareCollector;
  pending?: PendingKey;
}

export class SharesRekey {
  private attempt: Attempt | undefined;

  constructor(
    private readonly store: RekeyStore,
    private readonly words: RekeyWording,
  ) {}

  status(): SharesRekeyStatus {
    const attempt = this.attempt;
    const status: SharesRekeyStatus = {
      nonce: attempt?.nonce ?? '',
      started: attempt !== undefined,
      t: attempt?.threshold ?? 0,
      n: attempt?.shares ?? 0,
      progress: attempt?.collector.progress ?? 0,
      required: this.store.keyThreshold(),
      pgp_fingerprints: null,
      backup: false,
      verification_required: attempt?.requireVerification ?? false,
    };
    if (attempt?.pending !== undefined) status.verification_nonce = attempt.pending.nonce;
    return status;
  }

  /** Starts a rekey to `shares` new shares with `threshold`. */
  start(shares: number, threshold: number, requireVerification: boolean): SharesRekeyStatus {
    if (this.attempt !== undefined) {
      throw badRequest(`${this.words.operation} already in progress: cancel it first with DELETE ${this.words.path}/init`);
    }
    validateShareCounts(shares, threshold);
    this.attempt = { nonce: randomUUID(), shares, threshold, requireVerification, collector: new ShareCollector(this.store.keyThreshold()) };
    return this.status();
  }

  cancel(): void {
    const attempt = this.attempt;
    this.attempt = undefined;
    attempt?.collector.reset();
    attempt?.pending?.collector.reset();
    attempt?.pending?.key.fill(0);
    attempt?.pending?.grant?.fill(0);
  }

  /**
   * Adds one current key share. At the threshold, checks the shares
   * and returns the new shares; without verification the new key is stored
   * at once.
   */
  async submit(keyText: string, nonce: string): Promise<SharesRekeyStatus | SharesRekeyResult> {
    const attempt = this.requireAttempt(nonce, 'nonce', () => this.attempt?.nonce);
    if (attempt.pending !== undefined) {
      throw badRequest(`${this.words.operation} is waiting for verification: submit the new shares to ${this.words.path}/verify`);
    }
    const share = decodeShare(keyText, attempt.collector.threshold);
    const added = attempt.collector.add(share);
    share.fill(0);
    if (!added) throw badRequest(`invalid "key": this key share was already submitted to the ${this.words.operation}`);
    if (!attempt.collector.complete) return this.status();

    // Swap in an empty collector before the first await, so a share arriving meanwhile
    // starts a new round. As in Vault, wrong shares reset the progress but keep the nonce.
    const collector = attempt.collector;
    attempt.collector = new ShareCollector(collector.threshold);
    let grant: Buffer | undefined;
    try {
      grant = await this.store.authorize(collector);
    } finally {
      collector.reset();
    }
    if (this.attempt !== attempt) {
      grant?.fill(0);
      throw badRequest(`${this.words.operation} was canceled while the key shares were checked: start a new one with PUT ${this.words.path}/init`);
    }
    const key = randomBytes(KEY_BYTES);
    const shares = splitKey(key, attempt.shares, attempt.threshold);
    const result: SharesRekeyResult = {
      complete: true,
      nonce: attempt.nonce,
      keys: shares.map((part) => part.toString('hex')),
      keys_base64: shares.map((part) => part.toString('base64')),
      pgp_fingerprints: null,
      backup: false,
      verification_required: attempt.requireVerification,
    };
    for (const part of shares) part.fill(0);

    if (attempt.requireVerification) {
      attempt.pending = { key, grant, nonce: randomUUID(), collector: new ShareCollector(attempt.threshold) };
      result.verification_nonce = attempt.pending.nonce;
      return result;
    }
    try {
      await this.store.replace(key, attempt.shares, attempt.threshold, grant);
    } finally {
      key.fill(0);
      grant?.fill(0);
      this.attempt = undefined;
    }
    return result;
  }

  verificationStatus(): VerificationStatus {
    const attempt = this.attempt;
    const pending = attempt?.pending;
    return {
      nonce: pending?.nonce ?? '',
      started: pending !== undefined,
      t: pending !== undefined ? attempt!.threshold : 0,
      n: pending !== undefined ? attempt!.shares : 0,
      progress: pending?.collector.progress ?? 0,
    };
  }

  /**
   * Adds one of the new shares. At the threshold, checks that they combine
   * to the new key and stores it, which ends the rekey.
   */
  async submitVerification(keyText: string, nonce: string): Promise<VerificationStatus | { nonce: string; complete: true }> {
    const attempt = this.requireAttempt(nonce, 'nonce', () => this.attempt?.pending?.nonce);
    const pending = attempt.pending;
    if (pending === undefined) throw badRequest(`no ${this.words.operation} verification in progress`);
    const share = decodeShare(keyText, pending.collector.threshold);
    const added = pending.collector.add(share);
    share.fill(0);
    if (!added) throw badRequest('invalid "key": this key share was already submitted to the verification');
    if (!pending.collector.complete) return this.verificationStatus();

    let combined: Buffer | undefined;
    try {
      combined = pending.collector.combine();
    } catch {
      combined = undefined;
    } finally {
      pending.collector.reset();
    }
    const matches = combined !== undefined && combined.length === pending.key.length && timingSafeEqual(combined, pending.key);
    combined?.fill(0);
    if (!matches) {
      throw badRequest(`invalid key shares: they do not combine to the new ${this.words.key}; verification progress was reset, submit the new shares again`);
    }
    try {
      await this.store.replace(pending.key, attempt.shares, attempt.threshold, pending.grant);
    } finally {
      this.cancel();
    }
    return { nonce: pending.nonce, complete: true };
  }

  /** Discards the new shares given for verification and issues a new verification nonce. */
  cancelVerification(): VerificationStatus {
    const pending = this.attempt?.pending;
    if (pending !== undefined) {
      pending.collector.reset();
      pending.nonce = randomUUID();
    }
    return this.verificationStatus();
  }

  private requireAttempt(nonce: string, field: string, expected: () => string | undefined): Attempt {
    const attempt = this.attempt;
    if (attempt === undefined) throw badRequest(`no ${this.words.operation} in progress: start one with PUT ${this.words.path}/init`);
    const expectedNonce = expected();
    if (expectedNonce === undefined || nonce !== expectedNonce) {
      throw badRequest(`invalid "${field}" "${nonce}": it does not match the ${this.words.operation} in progress`);
    }
    return attempt;
  }
}
