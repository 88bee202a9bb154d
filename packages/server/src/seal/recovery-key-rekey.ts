/**
 * Rekey of the recovery key, as Vault's `sys/rekey-recovery-key`: a threshold
 * of the current recovery key shares authorizes a new recovery key split
 * into new shares. With `require_verification`, the new key is stored only
 * after a threshold of the new shares is submitted back, as proof that the
 * holders received them. Until then the current shares stay valid.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { badRequest } from '@coffer/sdk';
import { KEY_BYTES } from '../barrier/aead.js';
import { decodeShare, ShareCollector, splitKey, validateShareCounts } from './key-shares.js';
import type { RekeyStatus } from './shamir-seal.js';

/** The operations of the auto seal that the rekey uses. */
export interface RecoveryKeyStore {
  /** Threshold of the current recovery key shares. */
  readonly keyThreshold: number;
  /**
   * Checks that the collected shares combine to the current recovery key.
   * @throws CofferError (400) when they do not.
   */
  verifyKeyShares(collector: ShareCollector): Promise<void>;
  /** Encrypts and stores a new recovery key with its share counts. */
  replaceRecoveryKey(key: Buffer, shares: number, threshold: number): Promise<void>;
}

/** Status of `sys/rekey-recovery-key/init`, with the verification nonce while one is pending. */
export interface RecoveryRekeyStatus extends RekeyStatus {
  verification_nonce?: string;
}

/** Response of the `update` call that completes the share collection. */
export interface RecoveryRekeyResult {
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

/** A new recovery key waiting for a threshold of its own shares. */
interface PendingKey {
  key: Buffer;
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

export class RecoveryKeyRekey {
  private attempt: Attempt | undefined;

  constructor(private readonly store: RecoveryKeyStore) {}

  status(): RecoveryRekeyStatus {
    const attempt = this.attempt;
    const status: RecoveryRekeyStatus = {
      nonce: attempt?.nonce ?? '',
      started: attempt !== undefined,
      t: attempt?.threshold ?? 0,
      n: attempt?.shares ?? 0,
      progress: attempt?.collector.progress ?? 0,
      required: this.store.keyThreshold,
      pgp_fingerprints: null,
      backup: false,
      verification_required: attempt?.requireVerification ?? false,
    };
    if (attempt?.pending !== undefined) status.verification_nonce = attempt.pending.nonce;
    return status;
  }

  /** Starts a rekey to `shares` new shares with `threshold`. */
  start(shares: number, threshold: number, requireVerification: boolean): RecoveryRekeyStatus {
    if (this.attempt !== undefined) {
      throw badRequest('recovery key rekey already in progress: cancel it first with DELETE sys/rekey-recovery-key/init');
    }
    validateShareCounts(shares, threshold);
    this.attempt = { nonce: randomUUID(), shares, threshold, requireVerification, collector: new ShareCollector(this.store.keyThreshold) };
    return this.status();
  }

  cancel(): void {
    const attempt = this.attempt;
    this.attempt = undefined;
    attempt?.collector.reset();
    attempt?.pending?.collector.reset();
    attempt?.pending?.key.fill(0);
  }

  /**
   * Adds one current recovery key share. At the threshold, checks the shares
   * and returns the new shares; without verification the new key is stored
   * at once.
   */
  async submit(keyText: string, nonce: string): Promise<RecoveryRekeyStatus | RecoveryRekeyResult> {
    const attempt = this.requireAttempt(nonce, 'nonce', () => this.attempt?.nonce);
    if (attempt.pending !== undefined) {
      throw badRequest('recovery key rekey is waiting for verification: submit the new shares to sys/rekey-recovery-key/verify');
    }
    const share = decodeShare(keyText, attempt.collector.threshold);
    const added = attempt.collector.add(share);
    share.fill(0);
    if (!added) throw badRequest('invalid "key": this key share was already submitted to the recovery key rekey');
    if (!attempt.collector.complete) return this.status();

    // Swap in an empty collector before the first await, so a share arriving meanwhile
    // starts a new round. As in Vault, wrong shares reset the progress but keep the nonce.
    const collector = attempt.collector;
    attempt.collector = new ShareCollector(collector.threshold);
    try {
      await this.store.verifyKeyShares(collector);
    } finally {
      collector.reset();
    }
    if (this.attempt !== attempt) {
      throw badRequest('recovery key rekey was canceled while the key shares were checked: start a new one with PUT sys/rekey-recovery-key/init');
    }
    const key = randomBytes(KEY_BYTES);
    const shares = splitKey(key, attempt.shares, attempt.threshold);
    const result: RecoveryRekeyResult = {
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
      attempt.pending = { key, nonce: randomUUID(), collector: new ShareCollector(attempt.threshold) };
      result.verification_nonce = attempt.pending.nonce;
      return result;
    }
    try {
      await this.store.replaceRecoveryKey(key, attempt.shares, attempt.threshold);
    } finally {
      key.fill(0);
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
    if (pending === undefined) throw badRequest('no recovery key rekey verification in progress');
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
      throw badRequest('invalid key shares: they do not combine to the new recovery key; verification progress was reset, submit the new shares again');
    }
    try {
      await this.store.replaceRecoveryKey(pending.key, attempt.shares, attempt.threshold);
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
    if (attempt === undefined) throw badRequest('no recovery key rekey in progress: start one with PUT sys/rekey-recovery-key/init');
    const expectedNonce = expected();
    if (expectedNonce === undefined || nonce !== expectedNonce) {
      throw badRequest(`invalid "${field}" "${nonce}": it does not match the recovery key rekey in progress`);
    }
    return attempt;
  }
}
