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
  /** Encryptions made with this term since unseal; reported by sys/key-status. */
  encryptions: number;
}

interface SerializedKeyring {
  activeTerm: number;
  keys: { term: number; key: string; installTime: string }[];
}

export class Keyring {
  private constructor(
    private readonly terms: Map<number, KeyTerm>,
    private active: number,
  ) {}

  /** Makes a keyring with one fresh key as term 1. */
  static generate(): Keyring {
    const first = { term: 1, key: randomBytes(KEY_BYTES), installTime: new Date().toISOString(), encryptions: 0 };
    return new Keyring(new Map([[1, first]]), 1);
  }

  static deserialize(data: Buffer): Keyring {
    const parsed = JSON.parse(data.toString('utf8')) as SerializedKeyring;
    const terms = new Map<number, KeyTerm>();
    for (const entry of parsed.keys) {
      terms.set(entry.term, {
        term: entry.term,
        key: Buffer.from(entry.key, 'base64'),
        installTime: entry.installTime,
        encryptions: 0,
      });
    }
    if (!terms.has(parsed.activeTerm)) throw new Error(`keyring has no key for its active term ${parsed.activeTerm}`);
    return new Keyring(terms, parsed.activeTerm);
  }

  serialize(): Buffer {
    const keys = [...this.terms.values()].map((term) => ({
      term: term.term,
      key: term.key.toString('base64'),
      installTime: term.installTime,
    }));
    return Buffer.from(JSON.stringify({ activeTerm: this.active, keys } satisfies SerializedKeyring));
  }

  get activeTerm(): KeyTerm {
    return this.terms.get(this.active)!;
  }

  termKey(term: number): KeyTerm | undefined {
    return this.terms.get(term);
  }

  /** Returns a new keyring with one more term, which becomes active. */
  rotated(): Keyring {
    const next = this.active + 1;
    const terms = new Map(this.terms);
    terms.set(next, { term: next, key: randomBytes(KEY_BYTES), installTime: new Date().toISOString(), encryptions: 0 });
    return new Keyring(terms, next);
  }

  /** Overwrites every key in memory; called at seal. */
  zeroize(): void {
    for (const term of this.terms.values()) term.key.fill(0);
    this.terms.clear();
  }
}
