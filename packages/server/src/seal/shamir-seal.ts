/**
 * The Shamir seal: the root key is encrypted with an unseal key that exists
 * only as key shares held by operators. Unseal collects shares until the
 * threshold, combines them and decrypts the root key. Rekey replaces the
 * unseal key and its shares without touching the root key.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { badRequest, type Storage } from '@coffer/sdk';
import { open, seal, KEY_BYTES } from '../barrier/aead.js';
import { WRAPPED_ROOT_KEY_PATH } from '../barrier/barrier.js';
import { decodeShare, ShareCollector, splitKey, validateShareCounts } from './key-shares.js';
import type { CoreSeal } from './core-seal.js';
import { readSealConfig, writeSealConfig, type SealConfig } from './seal-config.js';

/** An unfinished rekey: the new share counts and the old shares given so far. */
interface RekeyAttempt {
  nonce: string;
  secretShares: number;
  secretThreshold: number;
  collector: ShareCollector;
}

export interface RekeyStatus {
  nonce: string;
  started: boolean;
  t: number;
  n: number;
  progress: number;
  required: number;
  pgp_fingerprints: null;
  backup: boolean;
  verification_required: boolean;
}

export interface RekeyResult {
  complete: true;
  nonce: string;
  keys: string[];
  keys_base64: string[];
  pgp_fingerprints: null;
  backup: boolean;
  verification_required: boolean;
}

export class ShamirSeal implements CoreSeal {
  readonly type = 'shamir';
  readonly recoveryKeySupported = false;
  private config: SealConfig | null = null;
  private unsealCollector: ShareCollector | undefined;
  private unsealNonce = '';
  private rekey: RekeyAttempt | undefined;

  constructor(private readonly physical: Storage) {}

  /** Loads the stored seal configuration; `null` means not initialized. */
  async load(): Promise<SealConfig | null> {
    this.config = await readSealConfig(this.physical);
    return this.config;
  }

  get sealConfig(): SealConfig | null {
    return this.config;
  }

  get unsealProgress(): number {
    return this.unsealCollector?.progress ?? 0;
  }

  get nonce(): string {
    return this.unsealNonce;
  }

  get keyThreshold(): number {
    return this.config?.secretThreshold ?? 0;
  }

  get keyShares(): number {
    return this.config?.secretShares ?? 0;
  }

  async verifyKeyShares(collector: ShareCollector): Promise<void> {
    const rootKey = await this.unwrapRootKey(collector);
    rootKey.fill(0);
  }

  async close(): Promise<void> {}

  /**
   * Stores a new seal configuration and the root key wrapped by a fresh
   * unseal key. Returns the key shares.
   */
  async initialize(rootKey: Buffer, secretShares: number, secretThreshold: number): Promise<Buffer[]> {
    validateShareCounts(secretShares, secretThreshold);
    const unsealKey = randomBytes(KEY_BYTES);
    const shares = splitKey(unsealKey, secretShares, secretThreshold);

    await this.physical.put({ key: WRAPPED_ROOT_KEY_PATH, value: seal(unsealKey, rootKey, WRAPPED_ROOT_KEY_PATH) });
    const config: SealConfig = { type: 'shamir', secretShares, secretThreshold };
    await writeSealConfig(this.physical, config);
    this.config = config;
    unsealKey.fill(0);
    return shares;
  }

  /**
   * Adds one unseal key share. Returns the root key once the threshold is
   * reached, else `null`.
   * @throws CofferError (400) when the combined shares do not decrypt the
   *   root key; progress is reset so the operator starts again.
   */
  async submitUnsealShare(keyText: string): Promise<Buffer | null> {
    const config = this.requireConfig();
    const share = decodeShare(keyText, config.secretThreshold);
    if (this.unsealCollector === undefined) {
      this.unsealCollector = new ShareCollector(config.secretThreshold);
      this.unsealNonce = randomUUID();
    }
    this.unsealCollector.add(share);
    if (!this.unsealCollector.complete) return null;

    // Detach the collector first so a concurrent share starts a new round;
    // its shares are wiped once combined.
    const collector = this.unsealCollector;
    this.unsealCollector = undefined;
    this.unsealNonce = '';
    try {
      return await this.unwrapRootKey(collector);
    } finally {
      collector.reset();
    }
  }

  resetUnseal(): void {
    this.unsealCollector?.reset();
    this.unsealCollector = undefined;
    this.unsealNonce = '';
  }

  rekeyStatus(): RekeyStatus {
    const config = this.requireConfig();
    return {
      nonce: this.rekey?.nonce ?? '',
      started: this.rekey !== undefined,
      t: this.rekey?.secretThreshold ?? 0,
      n: this.rekey?.secretShares ?? 0,
      progress: this.rekey?.collector.progress ?? 0,
      required: config.secretThreshold,
      pgp_fingerprints: null,
      backup: false,
      verification_required: false,
    };
  }

  /** Starts a rekey to new share counts. */
  startRekey(secretShares: number, secretThreshold: number): RekeyStatus {
    const config = this.requireConfig();
    if (this.rekey !== undefined) throw badRequest('rekey already in progress: cancel it first with DELETE sys/rekey/init');
    validateShareCounts(secretShares, secretThreshold);
    this.rekey = {
      nonce: randomUUID(),
      secretShares,
      secretThreshold,
      collector: new ShareCollector(config.secretThreshold),
    };
    return this.rekeyStatus();
  }

  cancelRekey(): void {
    this.rekey?.collector.reset();
    this.rekey = undefined;
  }

  /**
   * Adds one current key share to the rekey. Once the threshold is reached
   * and the shares prove correct, stores the root key under a new unseal
   * key and returns the new shares.
   */
  async submitRekeyShare(keyText: string, nonce: string): Promise<RekeyStatus | RekeyResult> {
    const attempt = this.rekey;
    if (attempt === undefined) throw badRequest('no rekey in progress: start one with PUT sys/rekey/init');
    if (nonce !== attempt.nonce) throw badRequest(`invalid "nonce" "${nonce}": it does not match the rekey in progress`);
    const share = decodeShare(keyText, attempt.collector.threshold);
    const added = attempt.collector.add(share);
    share.fill(0);
    if (!added) throw badRequest('invalid "key": this key share was already submitted to the rekey');
    if (!attempt.collector.complete) return this.rekeyStatus();

    // Swap in an empty collector before the first await, so a share arriving meanwhile
    // starts a new round. As in Vault, wrong shares reset the progress but keep the nonce.
    const collector = attempt.collector;
    attempt.collector = new ShareCollector(collector.threshold);
    let rootKey: Buffer;
    try {
      rootKey = await this.unwrapRootKey(collector);
    } finally {
      collector.reset();
    }
    if (this.rekey !== attempt) {
      rootKey.fill(0);
      throw badRequest('rekey was canceled while the key shares were checked: start a new one with PUT sys/rekey/init');
    }
    this.rekey = undefined;

    const unsealKey = randomBytes(KEY_BYTES);
    const shares = splitKey(unsealKey, attempt.secretShares, attempt.secretThreshold);
    await this.physical.put({ key: WRAPPED_ROOT_KEY_PATH, value: seal(unsealKey, rootKey, WRAPPED_ROOT_KEY_PATH) });
    const config: SealConfig = { type: 'shamir', secretShares: attempt.secretShares, secretThreshold: attempt.secretThreshold };
    await writeSealConfig(this.physical, config);
    this.config = config;
    unsealKey.fill(0);
    rootKey.fill(0);

    return {
      complete: true,
      nonce: attempt.nonce,
      keys: shares.map((share) => share.toString('hex')),
      keys_base64: shares.map((share) => share.toString('base64')),
      pgp_fingerprints: null,
      backup: false,
      verification_required: false,
    };
  }

  private async unwrapRootKey(collector: ShareCollector): Promise<Buffer> {
    let unsealKey: Buffer;
    try {
      unsealKey = collector.combine();
    } catch (err) {
      throw badRequest(`invalid key shares: ${(err as Error).message}; progress was reset, submit the shares again`);
    }
    const wrapped = await this.physical.get(WRAPPED_ROOT_KEY_PATH);
    if (wrapped === null) throw new Error('wrapped root key is missing from storage');
    try {
      return open(unsealKey, wrapped.value, WRAPPED_ROOT_KEY_PATH);
    } catch {
      throw badRequest('invalid key shares: they do not decrypt the root key; progress was reset, submit the correct shares again');
    } finally {
      unsealKey.fill(0);
    }
  }

  private requireConfig(): SealConfig {
    if (this.config === null) throw badRequest('Vault is not initialized');
    return this.config;
  }
}
