/**
 * Seal migration: moving the protection of the root key from one seal to
 * another while the server is sealed, as Vault's `unseal -migrate` does.
 *
 * The config names the old seal with `disabled = true` next to the new one;
 * a lone disabled auto seal means the new seal is Shamir. Operators then
 * submit the old seal's key shares with `migrate: true`: unseal keys when
 * the old seal is Shamir, recovery keys when it is an auto seal. At the
 * threshold the combined key is checked, the root key is protected by the
 * new seal and the seal configuration is rewritten:
 *
 * - Shamir to auto: the old unseal key becomes the recovery key, so the old
 *   unseal key shares are now recovery key shares.
 * - auto to Shamir: the recovery key becomes the unseal key, so the recovery
 *   key shares are now unseal key shares.
 * - auto to auto: the recovery key stays; both it and the root key are
 *   encrypted again by the new seal.
 *
 * The keyring's seal wrap follows the seal: it is removed when the new seal
 * is Shamir and made again by the new seal otherwise. The keyring's
 * encryption by the root key does not change.
 *
 * Storage has no transactions, so a crash can stop a migration between two
 * writes. Each read below therefore accepts both the old and the new form of
 * the wrapped root key, the recovery key and the keyring, and running the migration again
 * with the same config and shares finishes it.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { badRequest, decodeBlobInfo, encodeBlobInfo, type BlobInfo, type Logger, type Seal, type Storage } from '@coffer/sdk';
import { open, seal as aeadSeal } from '../barrier/aead.js';
import { KEYRING_PATH, WRAPPED_ROOT_KEY_PATH } from '../barrier/barrier.js';
import { isSealWrapped, parseSealWrapped, sealWrap } from '../barrier/seal-wrap.js';
import { RECOVERY_KEY_PATH } from './auto-seal.js';
import { decodeShare, ShareCollector } from './key-shares.js';
import { writeSealConfig, type SealConfig } from './seal-config.js';

export const SHAMIR_SEAL_TYPE = 'shamir';

/** Share counts of the keys that authorize the migration, taken from the stored configuration. */
interface MigrationKeys {
  shares: number;
  threshold: number;
}

export class SealMigration {
  private keys: MigrationKeys | undefined;
  private collector: ShareCollector | undefined;
  private migrationNonce = '';

  constructor(
    private readonly physical: Storage,
    /** The old auto seal; undefined when the old seal is Shamir. */
    private readonly from: Seal | undefined,
    /** The new auto seal; undefined when the new seal is Shamir. */
    private readonly to: Seal | undefined,
    private readonly logger: Logger,
  ) {
    if (from === undefined && to === undefined) {
      throw new Error('invalid seal migration: the old and the new seal are both shamir; remove the seal stanza marked disabled = true');
    }
  }

  get fromType(): string {
    return this.from?.type ?? SHAMIR_SEAL_TYPE;
  }

  get toType(): string {
    return this.to?.type ?? SHAMIR_SEAL_TYPE;
  }

  /** True while the stored seal is still the old one, so unseal needs `migrate`. */
  get active(): boolean {
    return this.keys !== undefined;
  }

  get unsealProgress(): number {
    return this.collector?.progress ?? 0;
  }

  get nonce(): string {
    return this.migrationNonce;
  }

  get keyThreshold(): number {
    return this.keys?.threshold ?? 0;
  }

  get keyShares(): number {
    return this.keys?.shares ?? 0;
  }

  /**
   * Decides from the stored seal configuration whether the migration is still
   * to be done. Returns true when it is: storage is protected by the old seal.
   * Returns false when storage already uses the new seal, for example after a
   * migration that finished before the disabled stanza was removed.
   */
  begin(stored: SealConfig): boolean {
    if (stored.type !== this.fromType) {
      this.keys = undefined;
      if (stored.type === this.toType) {
        this.logger.info({ from: this.fromType, to: this.toType }, 'seal migration already complete; remove the disabled seal stanza');
      }
      return false;
    }
    this.keys =
      this.from === undefined
        ? { shares: stored.secretShares, threshold: stored.secretThreshold }
        : { shares: stored.recoveryShares ?? 0, threshold: stored.recoveryThreshold ?? 0 };
    this.logger.info({ from: this.fromType, to: this.toType, threshold: this.keys.threshold }, 'seal migration pending; unseal with migrate');
    return true;
  }

  /**
   * Adds one key share of the old seal and returns null below the
   * threshold. At the threshold it checks the shares, protects the root key
   * with the new seal, rewrites the seal configuration and returns the root
   * key.
   * @throws CofferError (400) when `migrate` is not set or the shares are
   *   wrong; progress is then reset.
   */
  async submitShare(keyText: string, migrate: boolean): Promise<Buffer | null> {
    const keys = this.keys;
    if (keys === undefined) throw badRequest('invalid "migrate": no seal migration is pending');
    if (!migrate) {
      throw badRequest(
        `seal migration from ${this.fromType} to ${this.toType} is pending: set "migrate" to true with each key share (coffer operator unseal -migrate)`,
      );
    }
    const share = decodeShare(keyText, keys.threshold);
    if (this.collector === undefined) {
      this.collector = new ShareCollector(keys.threshold);
      this.migrationNonce = randomUUID();
    }
    this.collector.add(share);
    share.fill(0);
    if (!this.collector.complete) return null;

    const collector = this.collector;
    this.collector = undefined;
    this.migrationNonce = '';
    let combined: Buffer;
    try {
      combined = collector.combine();
    } catch (err) {
      throw badRequest(`invalid key shares: ${(err as Error).message}; progress was reset, submit the shares again`);
    } finally {
      collector.reset();
    }
    try {
      const rootKey = await this.unwrapRootKey(combined);
      try {
        await this.protectWithNewSeal(rootKey, combined, keys);
      } catch (err) {
        rootKey.fill(0);
        throw err;
      }
      this.keys = undefined;
      this.logger.info({ from: this.fromType, to: this.toType }, 'seal migration complete');
      return rootKey;
    } finally {
      combined.fill(0);
    }
  }

  resetUnseal(): void {
    this.collector?.reset();
    this.collector = undefined;
    this.migrationNonce = '';
  }

  /**
   * Checks the combined key and returns the root key. The combined key is
   * the Shamir unseal key or the recovery key. A stored recovery key must
   * match it, and a root key in the Shamir form must open with it.
   */
  private async unwrapRootKey(combined: Buffer): Promise<Buffer> {
    const storedRecoveryKey = await this.readRecoveryKey();
    if (storedRecoveryKey !== undefined) {
      const matches = storedRecoveryKey.length === combined.length && timingSafeEqual(storedRecoveryKey, combined);
      storedRecoveryKey.fill(0);
      if (!matches) {
        throw badRequest('invalid recovery key shares: they do not combine to the recovery key; progress was reset, submit the correct shares again');
      }
    }

    const entry = await this.physical.get(WRAPPED_ROOT_KEY_PATH);
    if (entry === null) throw new Error(`wrapped root key is missing from storage at ${WRAPPED_ROOT_KEY_PATH}`);
    const blob = parseBlob(entry.value);
    if (blob !== undefined) {
      // Only the recovery key check above proves the shares before a seal decrypts the root key.
      if (storedRecoveryKey === undefined) throw new Error(`recovery key is missing from storage at ${RECOVERY_KEY_PATH}`);
      return this.decryptWithEither(blob, WRAPPED_ROOT_KEY_PATH, 'wrapped root key');
    }
    try {
      return open(combined, entry.value, WRAPPED_ROOT_KEY_PATH);
    } catch {
      throw badRequest('invalid key shares: they do not decrypt the root key; progress was reset, submit the correct shares again');
    }
  }

  /** Decrypts the stored recovery key with the old or the new seal; undefined when none is stored. */
  private async readRecoveryKey(): Promise<Buffer | undefined> {
    const entry = await this.physical.get(RECOVERY_KEY_PATH);
    if (entry === null) return undefined;
    const blob = parseBlob(entry.value);
    if (blob === undefined) throw new Error(`invalid recovery key at ${RECOVERY_KEY_PATH}: not a sealed blob`);
    return this.decryptWithEither(blob, RECOVERY_KEY_PATH, 'recovery key');
  }

  /**
   * Decrypts with the old seal, then with the new one, because an
   * interrupted migration may already have encrypted the value again.
   */
  private async decryptWithEither(blob: BlobInfo, path: string, what: string): Promise<Buffer> {
    const seals = [this.from, this.to].filter((candidate): candidate is Seal => candidate !== undefined);
    let firstError: unknown;
    for (const candidate of seals) {
      try {
        return await candidate.decrypt(blob, Buffer.from(path));
      } catch (err) {
        firstError ??= err;
        this.logger.warn({ err, seal: candidate.type, path }, 'seal migration: decrypt failed');
      }
    }
    throw new Error(`seal migration: neither the ${this.fromType} nor the ${this.toType} seal could decrypt the ${what}`, {
      cause: firstError,
    });
  }

  /**
   * Reads the keyring without its seal wrap, made by either seal, and checks
   * that the root key decrypts it, so a damaged keyring stops the migration
   * before anything is written. Returns undefined when no keyring is stored.
   */
  private async readKeyringUnwrapped(rootKey: Buffer): Promise<Buffer | undefined> {
    const entry = await this.physical.get(KEYRING_PATH);
    if (entry === null) return undefined;
    const encrypted = isSealWrapped(entry.value)
      ? await this.decryptWithEither(parseSealWrapped(KEYRING_PATH, entry.value).blob, KEYRING_PATH, 'seal-wrapped keyring')
      : entry.value;
    try {
      open(rootKey, encrypted, KEYRING_PATH).fill(0);
    } catch {
      throw new Error(`seal migration: the keyring at ${KEYRING_PATH} does not decrypt with the root key; restore storage from a snapshot`);
    }
    return encrypted;
  }

  /**
   * Stores the root key under the new seal, the keyring with the new seal's
   * wrap or none, and the seal configuration. The recovery key goes first,
   * then the root key, the keyring and the configuration, so every
   * intermediate state stays readable by `unwrapRootKey` and `readKeyringUnwrapped`.
   */
  private async protectWithNewSeal(rootKey: Buffer, combined: Buffer, keys: MigrationKeys): Promise<void> {
    const keyring = await this.readKeyringUnwrapped(rootKey);
    if (this.to === undefined) {
      await this.physical.put({ key: WRAPPED_ROOT_KEY_PATH, value: aeadSeal(combined, rootKey, WRAPPED_ROOT_KEY_PATH) });
      if (keyring !== undefined) await this.physical.put({ key: KEYRING_PATH, value: keyring });
      const config: SealConfig = { type: SHAMIR_SEAL_TYPE, secretShares: keys.shares, secretThreshold: keys.threshold };
      await writeSealConfig(this.physical, config);
      await this.physical.delete(RECOVERY_KEY_PATH);
      return;
    }

    // Encrypt everything before writing anything, so an unreachable seal changes nothing.
    const wrappedRecoveryKey = await this.to.encrypt(combined, Buffer.from(RECOVERY_KEY_PATH));
    const wrappedRootKey = await this.to.encrypt(rootKey, Buffer.from(WRAPPED_ROOT_KEY_PATH));
    const wrappedKeyring = keyring === undefined ? undefined : await sealWrap(this.to, KEYRING_PATH, keyring);
    await this.physical.put({ key: RECOVERY_KEY_PATH, value: Buffer.from(JSON.stringify(encodeBlobInfo(wrappedRecoveryKey))) });
    await this.physical.put({ key: WRAPPED_ROOT_KEY_PATH, value: Buffer.from(JSON.stringify(encodeBlobInfo(wrappedRootKey))) });
    if (wrappedKeyring !== undefined) await this.physical.put({ key: KEYRING_PATH, value: wrappedKeyring });
    const config: SealConfig = {
      type: this.to.type,
      secretShares: 1,
      secretThreshold: 1,
      recoveryShares: keys.shares,
      recoveryThreshold: keys.threshold,
    };
    await writeSealConfig(this.physical, config);
  }
}

/** Parses a stored seal blob; undefined for anything else, such as a root key in the Shamir form. */
function parseBlob(value: Buffer): BlobInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  return decodeBlobInfo(parsed);
}
