/**
 * The seal interface the core uses: what protects the root key, how key shares
 * unseal the server, and which shares authorize rekey and root token
 * generation. The Shamir seal and the auto-unseal seals both implement it.
 */
import type { ShareCollector } from './key-shares.js';
import type { RekeyResult, RekeyStatus } from './shamir-seal.js';
import type { SealConfig } from './seal-config.js';
import type { VerificationStatus } from './shares-rekey.js';

export interface CoreSeal {
  /** The seal type shown by `sys/seal-status`, e.g. `shamir` or `pkcs11`. */
  readonly type: string;
  /** True for an auto-unseal seal, whose key shares are recovery keys. */
  readonly recoveryKeySupported: boolean;
  /** The stored seal configuration; `null` until loaded or when not initialized. */
  readonly sealConfig: SealConfig | null;
  /** Key shares given so far towards an unseal. */
  readonly unsealProgress: number;
  /** Nonce of the unseal in progress; empty when none is. */
  readonly nonce: string;
  /** Key shares needed to unseal or to authorize root token generation. */
  readonly keyThreshold: number;
  /** Total key shares, for `sys/seal-status`. */
  readonly keyShares: number;

  /** Loads the stored seal configuration; `null` means not initialized. */
  load(): Promise<SealConfig | null>;
  /**
   * Stores the seal configuration and the wrapped root key, and returns the
   * key shares: unseal keys for Shamir, recovery keys for an auto seal.
   */
  initialize(rootKey: Buffer, shares: number, threshold: number): Promise<Buffer[]>;
  /** Adds one key share; returns the root key once the shares are complete and correct, else `null`. */
  submitUnsealShare(keyText: string): Promise<Buffer | null>;
  resetUnseal(): void;
  /**
   * Checks that the collected shares combine to the right key.
   * @throws CofferError (400) when they do not.
   */
  verifyKeyShares(collector: ShareCollector): Promise<void>;

  rekeyStatus(): RekeyStatus;
  startRekey(secretShares: number, secretThreshold: number, requireVerification?: boolean): RekeyStatus;
  cancelRekey(): void;
  submitRekeyShare(keyText: string, nonce: string): Promise<RekeyStatus | RekeyResult>;
  rekeyVerificationStatus(): VerificationStatus;
  submitRekeyVerification(keyText: string, nonce: string): Promise<VerificationStatus | { nonce: string; complete: true }>;
  cancelRekeyVerification(): VerificationStatus;

  /** Releases the seal's connections; the Shamir seal has none. */
  close(): Promise<void>;
}
