/**
 * The Shamir seal: the root key is encrypted with an unseal key that exists
 * only as key shares held by operators. Unseal collects shares until the
 * threshold, combines them and decrypts the root key. Rekey replaces the
 * unseal key and its shares without touching the root key.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { badRequest, type Storage } from '@coffer/sdk';
import { open, seal, KEY_BYTES } from '../barrier/aead.js';
import { REKEY_UNDO_PATH, WRAPPED_ROOT_KEY_PATH } from '../barrier/barrier.js';
import { decodeShare, ShareCollector, splitKey, validateShareCounts } from './key-shares.js';
import type { CoreSeal } from './core-seal.js';
import { SharesRekey, type SharesRekeyResult, type SharesRekeyStatus, type VerificationStatus } from './shares-rekey.js';
import { readSealConfig, writeSealConfig, type SealConfig } from './seal-config.js';

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
  /** The rekey of the unseal key, for `sys/rekey`. */
  private readonly rekey = new SharesRekey(
    {
      keyThreshold: () => this.requireConfig().secretThreshold,
      authorize: (collector) => this.unwrapRootKey(collector),
      replace: (key, shares, threshold, rootKey) => this.replaceUnsealKey(key, shares, threshold, rootKey),
    },
    { operation: 'rekey', path: 'sys/rekey', key: 'unseal key' },
  );

  constructor(private readonly physical: Storage) {}

  /**
   * Loads the stored seal configuration; `null` means not initialized. A
   * rekey that stopped part way is rolled back first (see replaceUnsealKey).
   */
  async load(): Promise<SealConfig | null> {
    const undo = await this.physical.get(REKEY_UNDO_PATH);
    if (undo !== null) await this.restore(parseRekeyUndo(undo.value));
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

  rekeyStatus(): SharesRekeyStatus {
    return this.rekey.status();
  }

  /** Starts a rekey to new share counts; with `requireVerification`, the new shares must be submitted back before they count. */
  startRekey(secretShares: number, secretThreshold: number, requireVerification = false): SharesRekeyStatus {
    return this.rekey.start(secretShares, secretThreshold, requireVerification);
  }

  cancelRekey(): void {
    this.rekey.cancel();
  }

  /**
   * Adds one current key share to the rekey. Once the threshold is reached
   * and the shares prove correct, returns the new shares, and stores the
   * root key under the new unseal key unless verification is required.
   */
  submitRekeyShare(keyText: string, nonce: string): Promise<SharesRekeyStatus | SharesRekeyResult> {
    return this.rekey.submit(keyText, nonce);
  }

  rekeyVerificationStatus(): VerificationStatus {
    return this.rekey.verificationStatus();
  }

  /** Adds one new key share to the verification; at its threshold, stores the root key under the new unseal key. */
  submitRekeyVerification(keyText: string, nonce: string): Promise<VerificationStatus | { nonce: string; complete: true }> {
    return this.rekey.submitVerification(keyText, nonce);
  }

  cancelRekeyVerification(): VerificationStatus {
    return this.rekey.cancelVerification();
  }

  /**
   * Stores the root key under a new unseal key and records the new share
   * counts. Those are two writes, so the previous pair is saved first in an
   * undo record, which `load` restores if the writes stop part way (a
   * crash). The record goes only once both writes are done. So a crash
   * before the new shares can have reached their holders leaves the current
   * shares valid, and the new ones, which no holder received, are void.
   */
  private async replaceUnsealKey(unsealKey: Buffer, secretShares: number, secretThreshold: number, rootKey: Buffer | undefined): Promise<void> {
    if (rootKey === undefined) throw new Error('the rekey has no root key to store under the new unseal key');
    const previous = { config: this.requireConfig(), wrappedRootKey: (await this.physical.get(WRAPPED_ROOT_KEY_PATH))?.value };
    if (previous.wrappedRootKey === undefined) throw new Error('wrapped root key is missing from storage');
    const undo = { config: previous.config, wrappedRootKey: previous.wrappedRootKey.toString('base64') };
    await this.physical.put({ key: REKEY_UNDO_PATH, value: Buffer.from(JSON.stringify(undo), 'utf8') });

    const config: SealConfig = { type: 'shamir', secretShares, secretThreshold };
    try {
      await this.physical.put({ key: WRAPPED_ROOT_KEY_PATH, value: seal(unsealKey, rootKey, WRAPPED_ROOT_KEY_PATH) });
      await writeSealConfig(this.physical, config);
    } catch (err) {
      // Put the previous pair back now rather than at the next start; if that fails too, load does it.
      await this.restore({ config: previous.config, wrappedRootKey: previous.wrappedRootKey }).catch(() => undefined);
      throw err;
    }
    await this.physical.delete(REKEY_UNDO_PATH);
    this.config = config;
  }

  /** Writes back the wrapped root key and seal configuration that a rekey replaced, then drops its undo record. */
  private async restore(previous: { config: SealConfig; wrappedRootKey: Buffer }): Promise<void> {
    await this.physical.put({ key: WRAPPED_ROOT_KEY_PATH, value: previous.wrappedRootKey });
    await writeSealConfig(this.physical, previous.config);
    await this.physical.delete(REKEY_UNDO_PATH);
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

/**
 * Reads a rekey's undo record.
 * @throws Error when the record is damaged, because unsealing with either key pair could then fail.
 */
function parseRekeyUndo(value: Buffer): { config: SealConfig; wrappedRootKey: Buffer } {
  type UndoRecord = { config?: SealConfig; wrappedRootKey?: unknown } | null;
  let parsed: UndoRecord;
  try {
    parsed = JSON.parse(value.toString('utf8')) as UndoRecord;
  } catch {
    parsed = null;
  }
  if (parsed?.config?.type !== 'shamir' || typeof parsed.wrappedRootKey !== 'string') {
    throw new Error(`the rekey undo record at ${REKEY_UNDO_PATH} is damaged; restore storage from a backup`);
  }
  return { config: parsed.config, wrappedRootKey: Buffer.from(parsed.wrappedRootKey, 'base64') };
}
