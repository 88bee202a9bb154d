/**
 * An auto-unseal seal: the root key is encrypted by a seal plugin (an HSM, a
 * KMS, another server's transit engine), so the server can decrypt it at
 * start without operators. Operators hold recovery key shares instead; they
 * authorize root token generation and unseal after a manual seal, but they
 * cannot decrypt anything.
 *
 * The recovery key is stored encrypted by the seal at `core/recovery-key`,
 * as Vault stores it, so shares can be checked while the barrier is sealed.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { badRequest, CofferError, decodeBlobInfo, encodeBlobInfo, type Seal, type Storage } from '@coffer/sdk';
import { KEY_BYTES } from '../barrier/aead.js';
import { WRAPPED_ROOT_KEY_PATH } from '../barrier/barrier.js';
import type { CoreSeal } from './core-seal.js';
import { decodeShare, RECOVERY_SHARE_FIELDS, ShareCollector, splitKey, validateShareCounts } from './key-shares.js';
import { readSealConfig, writeSealConfig, type SealConfig } from './seal-config.js';
import { SharesRekey, type RekeyStore, type VerificationStatus } from './shares-rekey.js';
import type { RekeyResult, RekeyStatus } from './shamir-seal.js';

export const RECOVERY_KEY_PATH = 'core/recovery-key';

export class AutoSeal implements CoreSeal {
  readonly recoveryKeySupported = true;
  /** The rekey of the recovery key, for `sys/rekey-recovery-key`. */
  readonly recoveryRekey: SharesRekey = new SharesRekey(recoveryKeyStore(this), {
    operation: 'recovery key rekey',
    path: 'sys/rekey-recovery-key',
    key: 'recovery key',
  });
  private config: SealConfig | null = null;
  private unsealCollector: ShareCollector | undefined;
  private unsealNonce = '';

  constructor(
    private readonly physical: Storage,
    /** The seal plugin's open seal. */
    readonly wrapper: Seal,
  ) {}

  get type(): string {
    return this.wrapper.type;
  }

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
    return this.config?.recoveryThreshold ?? 0;
  }

  get keyShares(): number {
    return this.config?.recoveryShares ?? 0;
  }

  /**
   * Encrypts the root key and a new recovery key with the seal, stores both
   * and the configuration, and returns the recovery key shares. Nothing is
   * written until both encryptions succeed.
   */
  async initialize(rootKey: Buffer, recoveryShares: number, recoveryThreshold: number): Promise<Buffer[]> {
    validateShareCounts(recoveryShares, recoveryThreshold, RECOVERY_SHARE_FIELDS);
    const recoveryKey = randomBytes(KEY_BYTES);
    try {
      const wrappedRootKey = await this.wrapper.encrypt(rootKey, Buffer.from(WRAPPED_ROOT_KEY_PATH));
      const wrappedRecoveryKey = await this.wrapper.encrypt(recoveryKey, Buffer.from(RECOVERY_KEY_PATH));
      const shares = splitKey(recoveryKey, recoveryShares, recoveryThreshold);

      await this.physical.put({ key: WRAPPED_ROOT_KEY_PATH, value: Buffer.from(JSON.stringify(encodeBlobInfo(wrappedRootKey))) });
      await this.physical.put({ key: RECOVERY_KEY_PATH, value: Buffer.from(JSON.stringify(encodeBlobInfo(wrappedRecoveryKey))) });
      const config: SealConfig = { type: this.type, secretShares: 1, secretThreshold: 1, recoveryShares, recoveryThreshold };
      await writeSealConfig(this.physical, config);
      this.config = config;
      return shares;
    } finally {
      recoveryKey.fill(0);
    }
  }

  /**
   * Decrypts the stored root key with the seal.
   * @throws Error when the seal is unreachable or the stored blob is wrong.
   */
  async unwrapRootKey(): Promise<Buffer> {
    return this.unwrap(WRAPPED_ROOT_KEY_PATH, 'wrapped root key');
  }

  /**
   * Adds one recovery key share. Once the threshold is reached and the
   * shares prove correct, decrypts and returns the root key, for an unseal
   * after a manual seal.
   */
  async submitUnsealShare(keyText: string): Promise<Buffer | null> {
    const share = decodeShare(keyText, this.keyThreshold);
    if (this.unsealCollector === undefined) {
      this.unsealCollector = new ShareCollector(this.keyThreshold);
      this.unsealNonce = randomUUID();
    }
    this.unsealCollector.add(share);
    share.fill(0);
    if (!this.unsealCollector.complete) return null;

    const collector = this.unsealCollector;
    this.unsealCollector = undefined;
    this.unsealNonce = '';
    await this.verifyKeyShares(collector);
    return this.unwrapRootKey();
  }

  resetUnseal(): void {
    this.unsealCollector?.reset();
    this.unsealCollector = undefined;
    this.unsealNonce = '';
  }

  async verifyKeyShares(collector: ShareCollector): Promise<void> {
    let combined: Buffer;
    try {
      combined = collector.combine();
    } catch (err) {
      throw badRequest(`invalid recovery key shares: ${(err as Error).message}; progress was reset, submit the shares again`);
    } finally {
      collector.reset();
    }
    const stored = await this.unwrap(RECOVERY_KEY_PATH, 'recovery key');
    try {
      if (combined.length !== stored.length || !timingSafeEqual(combined, stored)) {
        throw badRequest('invalid recovery key shares: they do not combine to the recovery key; progress was reset, submit the correct shares again');
      }
    } finally {
      combined.fill(0);
      stored.fill(0);
    }
  }

  /**
   * Encrypts a new recovery key with the seal and stores it with its share
   * counts. The key is encrypted before anything is written, so an
   * unreachable seal leaves the current recovery key in place.
   */
  async replaceRecoveryKey(key: Buffer, shares: number, threshold: number): Promise<void> {
    const current = this.config;
    if (current === null) throw badRequest('Vault is not initialized');
    const wrapped = await this.wrapper.encrypt(key, Buffer.from(RECOVERY_KEY_PATH));
    await this.physical.put({ key: RECOVERY_KEY_PATH, value: Buffer.from(JSON.stringify(encodeBlobInfo(wrapped))) });
    const config: SealConfig = { ...current, recoveryShares: shares, recoveryThreshold: threshold };
    await writeSealConfig(this.physical, config);
    this.config = config;
  }

  rekeyStatus(): RekeyStatus {
    return {
      nonce: '',
      started: false,
      t: 0,
      n: 0,
      progress: 0,
      required: this.keyThreshold,
      pgp_fingerprints: null,
      backup: false,
      verification_required: false,
    };
  }

  startRekey(): RekeyStatus {
    throw this.rekeyUnsupported();
  }

  cancelRekey(): void {}

  async submitRekeyShare(): Promise<RekeyStatus | RekeyResult> {
    throw this.rekeyUnsupported();
  }

  rekeyVerificationStatus(): VerificationStatus {
    return { nonce: '', started: false, t: 0, n: 0, progress: 0 };
  }

  async submitRekeyVerification(): Promise<VerificationStatus> {
    throw this.rekeyUnsupported();
  }

  cancelRekeyVerification(): VerificationStatus {
    throw this.rekeyUnsupported();
  }

  close(): Promise<void> {
    return this.wrapper.close();
  }

  private rekeyUnsupported(): Error {
    return badRequest(
      `rekey is not supported with the "${this.type}" seal: the seal, not key shares, protects the root key; rekey the recovery keys with sys/rekey-recovery-key`,
    );
  }

  private async unwrap(path: string, what: string): Promise<Buffer> {
    const entry = await this.physical.get(path);
    if (entry === null) throw new Error(`${what} is missing from storage at ${path}`);
    const blob = decodeBlobInfo(JSON.parse(entry.value.toString('utf8')));
    try {
      return await this.wrapper.decrypt(blob, Buffer.from(path));
    } catch (err) {
      // Only operators reach this: an unseal after the recovery key shares
      // were verified, or the server's own auto-unseal. The message shows
      // them whether the KMS is down, the key is gone or the blob is wrong.
      throw new CofferError('COFFER_ERR_SEAL_DECRYPT', 500, `the ${this.type} seal could not decrypt the ${what}: ${(err as Error).message}`);
    }
  }
}

/** Returns the operations of `seal` that the recovery key rekey uses. */
function recoveryKeyStore(seal: AutoSeal): RekeyStore {
  return {
    keyThreshold: () => seal.keyThreshold,
    async authorize(collector) {
      await seal.verifyKeyShares(collector);
      return undefined;
    },
    replace: (key, shares, threshold) => seal.replaceRecoveryKey(key, shares, threshold),
  };
}
