/**
 * The encryption barrier: every entry the server stores passes through it
 * and is written as AES-256-GCM ciphertext bound to its storage path, so an
 * entry copied to another path fails to decrypt.
 *
 * Entry format: one format byte (1), the key term as a 32-bit big-endian
 * integer, then the nonce, ciphertext and tag from `aead.seal`.
 *
 * The keyring itself is stored at `core/keyring`, encrypted with the root
 * key; the seal protects the root key. With an auto seal, the keyring is
 * also seal-wrapped (see seal-wrap.ts).
 *
 * Automatic rotation: while the node is active, the barrier counts the
 * encryptions of the active term and rotates the key once the count reaches
 * the rotation config's max_operations, or once the term is older than its
 * interval. The count is stored in the keyring ahead of use: each keyring
 * write reserves up to MAX_RESERVED_ENCRYPTIONS more, and a clean stop of a
 * server without HA stores the exact count. After a crash, or on an HA node
 * that takes over, the count resumes from the reservation, so it may be too
 * high by less than one reservation but is never too low.
 */
import { CofferError, type Logger, type Seal, type Storage, type StorageEntry } from '@coffer/sdk';
import { open, seal } from './aead.js';
import { Keyring, type KeyTerm, type RotationConfig } from './keyring.js';
import { isSealWrapped, sealUnwrap, sealWrap } from './seal-wrap.js';

const FORMAT_VERSION = 1;
const HEADER_BYTES = 5;

/** Storage keys kept outside the barrier; the barrier refuses to write them. */
export const KEYRING_PATH = 'core/keyring';
export const SEAL_CONFIG_PATH = 'core/seal-config';
export const WRAPPED_ROOT_KEY_PATH = 'core/wrapped-root-key';
/** The previous unseal key's wrapped root key and seal configuration while a rekey replaces them. */
export const REKEY_UNDO_PATH = 'core/rekey-undo';
const RESERVED_PATHS = new Set([KEYRING_PATH, SEAL_CONFIG_PATH, WRAPPED_ROOT_KEY_PATH, REKEY_UNDO_PATH]);

export function sealedError(): CofferError {
  return new CofferError('COFFER_ERR_SEALED', 503, 'Vault is sealed');
}

/**
 * Error raised when the stored keyring does not open with the given root key, because
 * the storage was restored from another cluster's snapshot after this node unsealed.
 */
export class KeyringMismatchError extends Error {
  constructor() {
    super('the stored keyring does not open with this root key; unseal with the key shares of the storage as it is now');
    this.name = 'KeyringMismatchError';
  }
}

/** The maximum number of encryptions one keyring write reserves. After a crash the count may be too high by up to this many. */
export const MAX_RESERVED_ENCRYPTIONS = 100_000;
/** How often an active barrier checks the rotation interval when nothing is written. */
const ROTATION_CHECK_MS = 60_000;

/** Encryptions to reserve per keyring write: a thousandth of max_operations, from 1 to MAX_RESERVED_ENCRYPTIONS. */
function reservationSize(config: RotationConfig): number {
  return Math.max(1, Math.min(MAX_RESERVED_ENCRYPTIONS, Math.floor(config.maxOperations / 1000)));
}

export class Barrier implements Storage {
  private keyring: Keyring | undefined;
  private rootKey: Buffer | undefined;
  /** Set while this node is active and rotates the key by itself. */
  private autoRotation: { logger: Logger; timer: NodeJS.Timeout } | undefined;
  /** The keyring write in progress; keyring writes run one at a time. */
  private keyringWrites: Promise<unknown> = Promise.resolve();
  /** The rotation check in progress, shared by every write that triggers one. */
  private rotationCheck: Promise<void> | undefined;

  constructor(
    private readonly physical: Storage,
    /**
     * The auto seal that wraps the keyring; undefined with the Shamir seal,
     * whose keyring is stored plain. A plain keyring still loads with an
     * auto seal, and `wrapPlainKeyring` or the next rotation wraps it.
     */
    private readonly keyringSeal?: Seal,
    /** The clock for install times and the rotation interval, in milliseconds since the epoch. */
    private readonly now: () => number = Date.now,
  ) {}

  get sealed(): boolean {
    return this.keyring === undefined;
  }

  /** Returns true when a keyring has been written, i.e. the server is initialized. */
  async isInitialized(): Promise<boolean> {
    return (await this.physical.get(KEYRING_PATH)) !== null;
  }

  /** Creates and stores a fresh keyring under `rootKey`. Leaves the barrier sealed. */
  async initialize(rootKey: Buffer): Promise<void> {
    if (await this.isInitialized()) throw new Error('barrier is already initialized');
    await this.writeKeyring(Keyring.generate(this.now()), rootKey);
  }

  /**
   * Loads the keyring with `rootKey`.
   * @throws Error when the root key does not decrypt the keyring, or
   *   CofferError when the seal cannot remove its wrap. Nothing is written.
   */
  async unseal(rootKey: Buffer): Promise<void> {
    const keyring = await this.readKeyring(rootKey);
    this.keyring = keyring;
    this.rootKey = Buffer.from(rootKey);
  }

  /**
   * Reads the keyring again with the root key held since unseal, for an HA
   * standby about to become active: the old active node may have rotated it.
   * @throws KeyringMismatchError when the stored keyring no longer opens with
   *   this root key, as after a forced snapshot restore. Error when sealed.
   */
  async reloadKeyring(): Promise<void> {
    if (this.rootKey === undefined) throw sealedError();
    const keyring = await this.readKeyring(this.rootKey);
    this.keyring?.zeroize();
    this.keyring = keyring;
  }

  /**
   * Seal-wraps a keyring that is stored plain, such as one written before
   * seal wrap existed. Call it only on the node that is the sole writer,
   * because it stores the keyring held in memory over the stored one.
   * Returns true when it rewrote the keyring.
   * @throws Error when sealed or when the seal cannot encrypt. Nothing is written then.
   */
  async wrapPlainKeyring(): Promise<boolean> {
    const keyring = this.requireKeyring();
    if (this.keyringSeal === undefined) return false;
    const entry = await this.physical.get(KEYRING_PATH);
    if (entry === null || isSealWrapped(entry.value)) return false;
    await this.writeKeyring(keyring, this.rootKey!);
    return true;
  }

  /** Forgets every key. */
  seal(): void {
    if (this.autoRotation !== undefined) clearInterval(this.autoRotation.timer);
    this.autoRotation = undefined;
    this.keyring?.zeroize();
    this.rootKey?.fill(0);
    this.keyring = undefined;
    this.rootKey = undefined;
  }

  /** Adds a key term and makes it active; older entries stay readable. */
  async rotate(): Promise<KeyTerm> {
    return this.writeKeyringInTurn(async () => {
      const keyring = this.requireKeyring();
      const rotated = keyring.rotated(this.now());
      await this.writeKeyring(rotated, this.rootKey!);
      this.keyring = rotated;
      return rotated.activeTerm;
    });
  }

  activeTerm(): KeyTerm {
    return this.requireKeyring().activeTerm;
  }

  rotationConfig(): Readonly<RotationConfig> {
    return this.requireKeyring().rotationConfig;
  }

  /**
   * Stores a new rotation config with the keyring. It does not check limits:
   * sys/rotate/config does, and tests use this to set a small max_operations.
   */
  async setRotationConfig(config: RotationConfig): Promise<void> {
    await this.writeKeyringInTurn(async () => {
      const updated = this.requireKeyring().withRotationConfig(config);
      await this.writeKeyring(updated, this.rootKey!);
      this.keyring = updated;
    });
  }

  /** Starts rotating the key by itself; call on the node that is the sole writer. */
  startAutoRotation(logger: Logger): void {
    if (this.autoRotation !== undefined) return;
    const timer = setInterval(() => void this.checkAutoRotation(), ROTATION_CHECK_MS);
    timer.unref();
    this.autoRotation = { logger, timer };
  }

  /**
   * Stops automatic rotation. With `storeCount`, it also stores the exact
   * count of the active term. Leave it unset when another node may already
   * write the keyring, as after an HA node lost its lock.
   */
  async stopAutoRotation(options: { storeCount: boolean }): Promise<void> {
    if (this.autoRotation === undefined) return;
    clearInterval(this.autoRotation.timer);
    const logger = this.autoRotation.logger;
    this.autoRotation = undefined;
    await this.rotationCheck;
    if (!options.storeCount || this.keyring === undefined) return;
    try {
      await this.storeExactCount();
    } catch (err) {
      logger.error({ err, term: this.keyring?.activeTerm.term }, 'storing the encryption count failed; it resumes from the last reservation');
    }
  }

  /**
   * Stores the exact encryption count of the active term, unless it is
   * already stored. Call it on the sole writer before a seal that follows
   * writes made without automatic rotation, such as those of init.
   * @throws Error when sealed or when the keyring write fails.
   */
  async storeExactCount(): Promise<void> {
    await this.writeKeyringInTurn(async () => {
      const keyring = this.requireKeyring();
      const term = keyring.activeTerm;
      if (term.persistedEncryptions === term.encryptions) return;
      await this.storeCount(keyring, term.encryptions);
    });
  }

  /**
   * Rotates the key when the rotation config calls for it, else reserves more
   * encryptions when the count has used up its reservation. Does nothing
   * unless automatic rotation is started. Failures are logged, not thrown,
   * because the write that triggered the check has already succeeded.
   */
  checkAutoRotation(): Promise<void> {
    this.rotationCheck ??= this.runRotationCheck().finally(() => {
      this.rotationCheck = undefined;
    });
    return this.rotationCheck;
  }

  private async runRotationCheck(): Promise<void> {
    const logger = this.autoRotation?.logger;
    if (logger === undefined || this.keyring === undefined) return;
    try {
      await this.writeKeyringInTurn(async () => {
        const keyring = this.requireKeyring();
        const term = keyring.activeTerm;
        const reason = this.rotationReason(keyring);
        if (reason !== undefined) {
          const rotated = keyring.rotated(this.now());
          await this.writeKeyring(rotated, this.rootKey!);
          this.keyring = rotated;
          logger.info({ term: rotated.activeTerm.term, previousEncryptions: term.encryptions, reason }, 'barrier key rotated automatically');
          return;
        }
        if (term.encryptions >= term.persistedEncryptions) {
          await this.storeCount(keyring, term.encryptions + reservationSize(keyring.rotationConfig));
        }
      });
    } catch (err) {
      logger.error({ err }, 'automatic barrier key rotation check failed');
    }
  }

  /** Returns why the active term is due for rotation, or undefined when it is not. */
  private rotationReason(keyring: Keyring): 'max_operations' | 'interval' | undefined {
    const config = keyring.rotationConfig;
    if (!config.enabled) return undefined;
    const term = keyring.activeTerm;
    if (term.encryptions >= config.maxOperations) return 'max_operations';
    if (config.intervalSeconds > 0 && this.now() - Date.parse(term.installTime) >= config.intervalSeconds * 1000) return 'interval';
    return undefined;
  }

  private dueForCheck(keyring: Keyring): boolean {
    const term = keyring.activeTerm;
    return term.encryptions >= term.persistedEncryptions || this.rotationReason(keyring) !== undefined;
  }

  /** Writes the keyring with `count` stored for the active term; on failure the stored count is left as it was. */
  private async storeCount(keyring: Keyring, count: number): Promise<void> {
    const term = keyring.activeTerm;
    const previous = term.persistedEncryptions;
    term.persistedEncryptions = count;
    try {
      await this.writeKeyring(keyring, this.rootKey!);
    } catch (err) {
      term.persistedEncryptions = previous;
      throw err;
    }
  }

  /** Runs `write` after every keyring write already started, so two writes never race. */
  private writeKeyringInTurn<T>(write: () => Promise<T>): Promise<T> {
    const result = this.keyringWrites.then(write);
    this.keyringWrites = result.catch(() => undefined);
    return result;
  }

  async get(key: string): Promise<StorageEntry | null> {
    const keyring = this.requireKeyring();
    const entry = await this.physical.get(key);
    // A seal during the read wipes the keyring, so report sealed, not a decryption failure.
    if (this.keyring !== keyring) throw sealedError();
    if (entry === null) return null;
    return { key, value: this.decrypt(keyring, key, entry.value) };
  }

  async put(entry: StorageEntry): Promise<void> {
    if (RESERVED_PATHS.has(entry.key)) throw new Error(`"${entry.key}" is reserved and cannot be written through the barrier`);
    const keyring = this.requireKeyring();
    const term = keyring.activeTerm;
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(FORMAT_VERSION, 0);
    header.writeUInt32BE(term.term, 1);
    const value = Buffer.concat([header, seal(term.key, entry.value, entry.key)]);
    term.encryptions += 1;
    await this.physical.put({ key: entry.key, value });
    // The entry is stored; a due rotation or reservation follows before the write is acknowledged.
    if (this.autoRotation !== undefined && this.dueForCheck(keyring)) await this.checkAutoRotation();
  }

  async delete(key: string): Promise<void> {
    if (RESERVED_PATHS.has(key)) throw new Error(`"${key}" is reserved and cannot be deleted through the barrier`);
    this.requireKeyring();
    await this.physical.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    this.requireKeyring();
    return this.physical.list(prefix);
  }

  private decrypt(keyring: Keyring, key: string, value: Buffer): Buffer {
    if (value.length < HEADER_BYTES || value.readUInt8(0) !== FORMAT_VERSION) {
      throw new CofferError('COFFER_ERR_BARRIER', 500, `storage entry "${key}" has an unknown format`);
    }
    const term = keyring.termKey(value.readUInt32BE(1));
    if (term === undefined) {
      throw new CofferError('COFFER_ERR_BARRIER', 500, `storage entry "${key}" uses unknown key term ${value.readUInt32BE(1)}`);
    }
    try {
      return open(term.key, value.subarray(HEADER_BYTES), key);
    } catch {
      throw new CofferError('COFFER_ERR_BARRIER', 500, `storage entry "${key}" failed to decrypt: it was changed or moved`);
    }
  }

  private requireKeyring(): Keyring {
    if (this.keyring === undefined) throw sealedError();
    return this.keyring;
  }

  private async readKeyring(rootKey: Buffer): Promise<Keyring> {
    const entry = await this.physical.get(KEYRING_PATH);
    if (entry === null) throw new Error('barrier is not initialized');
    const encrypted = await sealUnwrap(this.keyringSeal, KEYRING_PATH, entry.value);
    let plain: Buffer;
    try {
      plain = open(rootKey, encrypted, KEYRING_PATH);
    } catch {
      throw new KeyringMismatchError();
    }
    return Keyring.deserialize(plain);
  }

  /** Encrypts the keyring with the root key, seal-wraps it with an auto seal, and stores it. A seal failure writes nothing. */
  private async writeKeyring(keyring: Keyring, rootKey: Buffer): Promise<void> {
    const encrypted = seal(rootKey, keyring.serialize(), KEYRING_PATH);
    const value = this.keyringSeal === undefined ? encrypted : await sealWrap(this.keyringSeal, KEYRING_PATH, encrypted);
    await this.physical.put({ key: KEYRING_PATH, value });
  }
}
