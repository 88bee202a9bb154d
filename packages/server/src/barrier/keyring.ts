/**
 * The barrier's keyring: numbered encryption keys ("terms"). New writes use
 * the active term; every older term stays so old entries remain readable.
 */
import { randomBytes } from 'node:crypto';
import { KEY_BYTES } from './aead.js';

export interface KeyTerm {
  term: number;
  key: Buffer;
  /** When the term was installed, as an RFC 3339 string. */
  installTime: string;
  /**
   * Encryptions made with this term, reported by sys/key-status. It starts
   * from `persistedEncryptions` when the keyring is loaded.
   */
  encryptions: number;
  /**
   * The count stored with the keyring. For the active term it runs ahead of
   * `encryptions` (see barrier.ts), so a crash loses no counted encryption.
   */
  persistedEncryptions: number;
}

/** When the barrier rotates its key by itself, as Vault's sys/rotate/config sets it. */
export interface RotationConfig {
  /** Rotate once the active term has made this many encryptions. */
  maxOperations: number;
  /** Rotate once the active term is this old, in seconds, or never when 0. */
  intervalSeconds: number;
  /** False to only count encryptions, never rotate. */
  enabled: boolean;
}

/**
 * Vault's default max_operations: 3,865,470,566, about 90% of 2^32, below
 * the 2^32 invocations per key that NIST SP 800-38D allows for AES-GCM with
 * random nonces. Vault documents it as the upper limit as well.
 */
export const DEFAULT_MAX_OPERATIONS = 3_865_470_566;

export const DEFAULT_ROTATION_CONFIG: Readonly<RotationConfig> = Object.freeze({
  maxOperations: DEFAULT_MAX_OPERATIONS,
  intervalSeconds: 0,
  enabled: true,
});

interface SerializedKeyring {
  activeTerm: number;
  keys: { term: number; key: string; installTime: string; encryptions?: number }[];
  /** Absent in keyrings written before automatic rotation existed. */
  rotationConfig?: RotationConfig;
}

export class Keyring {
  private constructor(
    private readonly terms: Map<number, KeyTerm>,
    private active: number,
    readonly rotationConfig: Readonly<RotationConfig>,
  ) {}

  /** Makes a keyring with one fresh key as term 1, installed at `now` (milliseconds since the epoch). */
  static generate(now = Date.now()): Keyring {
    return new Keyring(new Map([[1, newTerm(1, now)]]), 1, DEFAULT_ROTATION_CONFIG);
  }

  static deserialize(data: Buffer): Keyring {
    const parsed = JSON.parse(data.toString('utf8')) as SerializedKeyring;
    const terms = new Map<number, KeyTerm>();
    for (const entry of parsed.keys) {
      terms.set(entry.term, {
        term: entry.term,
        key: Buffer.from(entry.key, 'base64'),
        installTime: entry.installTime,
        encryptions: entry.encryptions ?? 0,
        persistedEncryptions: entry.encryptions ?? 0,
      });
    }
    if (!terms.has(parsed.activeTerm)) throw new Error(`keyring has no key for its active term ${parsed.activeTerm}`);
    return new Keyring(terms, parsed.activeTerm, Object.freeze({ ...DEFAULT_ROTATION_CONFIG, ...parsed.rotationConfig }));
  }

  serialize(): Buffer {
    const keys = [...this.terms.values()].map((term) => ({
      term: term.term,
      key: term.key.toString('base64'),
      installTime: term.installTime,
      encryptions: term.persistedEncryptions,
    }));
    const serialized: SerializedKeyring = { activeTerm: this.active, keys, rotationConfig: { ...this.rotationConfig } };
    return Buffer.from(JSON.stringify(serialized));
  }

  get activeTerm(): KeyTerm {
    return this.terms.get(this.active)!;
  }

  termKey(term: number): KeyTerm | undefined {
    return this.terms.get(term);
  }

  /**
   * Returns a new keyring with one more term, installed at `now`, which
   * becomes active. The old active term's stored count becomes its exact count.
   */
  rotated(now = Date.now()): Keyring {
    // Writes still in flight may add to the old term's count, so keep the same object.
    this.activeTerm.persistedEncryptions = this.activeTerm.encryptions;
    const next = this.active + 1;
    const terms = new Map(this.terms);
    terms.set(next, newTerm(next, now));
    return new Keyring(terms, next, this.rotationConfig);
  }

  /** Returns a copy of this keyring with another rotation configuration; the terms are shared. */
  withRotationConfig(config: RotationConfig): Keyring {
    return new Keyring(this.terms, this.active, Object.freeze({ ...config }));
  }

  /** Overwrites every key in memory; called at seal. */
  zeroize(): void {
    for (const term of this.terms.values()) term.key.fill(0);
    this.terms.clear();
  }
}

function newTerm(term: number, now: number): KeyTerm {
  return { term, key: randomBytes(KEY_BYTES), installTime: new Date(now).toISOString(), encryptions: 0, persistedEncryptions: 0 };
}
