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
 */
import { CofferError, type Seal, type Storage, type StorageEntry } from '@coffer/sdk';
import { open, seal } from './aead.js';
import { Keyring, type KeyTerm } from './keyring.js';
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

export class Barrier implements Storage {
  private keyring: Keyring | undefined;
  private rootKey: Buffer | undefined;

  constructor(
    private readonly physical: Storage,
    /**
     * The auto seal that wraps the keyring; undefined with the Shamir seal,
     * whose keyring is stored plain. A plain keyring still loads with an
     * auto seal, and `wrapPlainKeyring` or the next rotation wraps it.
     */
    private readonly keyringSeal?: Seal,
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
    await this.writeKeyring(Keyring.generate(), rootKey);
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
    this.keyring?.zeroize();
    this.rootKey?.fill(0);
    this.keyring = undefined;
    this.rootKey = undefined;
  }

  /** Adds a key term and makes it active; older entries stay readable. */
  async rotate(): Promise<KeyTerm> {
    const keyring = this.requireKeyring();
    const rotated = keyring.rotated();
    await this.writeKeyring(rotated, this.rootKey!);
    this.keyring = rotated;
    return rotated.activeTerm;
  }

  activeTerm(): KeyTerm {
    return this.requireKeyring().activeTerm;
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
