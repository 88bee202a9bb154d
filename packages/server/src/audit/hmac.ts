/**
 * HMAC-SHA256 of audited values under one device's salt, in Vault's
 * `hmac-sha256:<hex>` form. An operator who knows a value can recompute its
 * HMAC through `sys/audit-hash`; a reader of the log cannot reverse it.
 */
import * as crypto from 'node:crypto';
import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export const HMAC_PREFIX = 'hmac-sha256:';

/** SHA-256's block size, the length of HMAC's padded key. */
const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;

/**
 * Maximum length, in UTF-16 code units, of a value that `hash` digests in
 * its own buffer of 48 KiB, which fits a 4 KiB transit payload in base64.
 * Longer ones go through createHmac.
 */
const ONE_SHOT_MAX_LENGTH = 16 * 1024;

/**
 * Node.js's one-shot digest, `crypto.hash`, from version 20.12 on. It makes
 * no Hash object, so an HMAC built from two of them leaves the collector
 * nothing to finalize. The @types/node 20.19 that this repository uses does
 * not declare it.
 */
const oneShotDigest = (crypto as { hash?: (algorithm: string, data: Uint8Array, outputEncoding: string) => string }).hash;

/** Values whose UTF-8 takes up to this many bytes get a kept view of the hash input (see AuditHasher.innerPrefix). */
const VIEWED_VALUE_BYTES = 512;

/** Buffer's writers for one encoding, which skip the argument parsing of `write`. @types/node does not declare them. */
interface DirectWriters {
  utf8Write(text: string, offset: number): number;
  latin1Write(text: string, offset: number): number;
}

/**
 * Size of each generation of one device's token and accessor HMACs (see
 * GenerationCache): the last 4,096 distinct ones stay, and at most twice
 * that many are kept.
 */
const TOKEN_GENERATION_SIZE = 4096;

/** Longer tokens are hashed every time, which bounds the token cache's memory. A batch token's length grows with its entry. */
const TOKEN_CACHE_MAX_LENGTH = 2048;

/** Size of each generation of one device's data value HMACs. */
const VALUE_GENERATION_SIZE = 8192;

/** Longer data values are hashed every time, which bounds the value cache's memory. */
const VALUE_CACHE_MAX_LENGTH = 128;

/** Lookups of the value cache per window in which its hit rate is measured. */
const ADMISSION_WINDOW = 1024;

/**
 * Below this hit rate in a window, the next window admits a missed value
 * with a chance of one in ADMISSION_SAMPLE. Traffic whose values rarely
 * repeat (transit plaintexts and ciphertexts) then stops churning the
 * cache, because each value admitted and evicted unread would be
 * old-generation garbage for the collector. A value that does repeat gets in after
 * ADMISSION_SAMPLE misses on average. The draw is random because admitting
 * every ADMISSION_SAMPLE-th miss would never admit a value that recurs
 * every 2, 4, 8 or 16 misses in step with the count.
 */
const ADMISSION_MIN_HIT_RATE = 1 / 8;
const ADMISSION_SAMPLE = 16;

/** Hashes values for one audit device. */
export class AuditHasher {
  private readonly key: KeyObject;
  /**
   * HMACs of tokens and accessors by value, so a token seen on every request
   * is hashed once. NOTE: the keys are tokens in clear, held in memory until
   * they are evicted or the server seals.
   */
  private readonly tokenCache = new GenerationCache(TOKEN_GENERATION_SIZE);

  /**
   * HMACs of short data values by value, since a secret that is read often
   * puts the same strings in many entries. NOTE: the keys are data values
   * in clear (secrets among them), held in memory until they are evicted or
   * the server seals, like the decrypted entries of the token and policy
   * caches.
   */
  private readonly valueCache = new GenerationCache(VALUE_GENERATION_SIZE);
  /** True while a miss is admitted with a chance of one in ADMISSION_SAMPLE, false while every miss is admitted. */
  private sampling = false;
  /** Lookups and hits of the value cache in the current admission window. */
  private valueLookups = 0;
  private valueHits = 0;

  /** The key padded to a block and XORed with HMAC's inner pad, followed by room for a value of up to ONE_SHOT_MAX_LENGTH. */
  private readonly innerInput: Buffer;
  /** The key XORed with HMAC's outer pad, followed by room for the inner digest. */
  private readonly outerInput: Buffer;
  /** `innerInput` as a plain Uint8Array, whose `fill` is V8's own rather than Buffer's checked one. */
  private readonly innerBytes: Uint8Array;
  /** Views of `innerInput`'s first N bytes by N, for values up to VIEWED_VALUE_BYTES, so a hash allocates none. */
  private readonly innerViews: Array<Uint8Array | undefined> = new Array(BLOCK_BYTES + VIEWED_VALUE_BYTES);

  constructor(salt: Buffer) {
    this.key = createSecretKey(salt);
    // RFC 2104: a key longer than a block is replaced by its digest.
    const blockKey = salt.length > BLOCK_BYTES ? createHash('sha256').update(salt).digest() : salt;
    this.innerInput = Buffer.alloc(BLOCK_BYTES + ONE_SHOT_MAX_LENGTH * 3);
    this.innerInput.fill(0x36, 0, BLOCK_BYTES);
    this.outerInput = Buffer.alloc(BLOCK_BYTES + DIGEST_BYTES, 0x5c);
    this.innerBytes = new Uint8Array(this.innerInput.buffer, this.innerInput.byteOffset, this.innerInput.length);
    for (let i = 0; i < blockKey.length; i += 1) {
      this.innerInput[i] ^= blockKey[i];
      this.outerInput[i] ^= blockKey[i];
    }
  }

  /**
   * Returns the HMAC of `value`'s UTF-8 bytes. Short values take two
   * one-shot SHA-256 digests over the padded key (RFC 2104), which took a
   * few microseconds less per transit request than createHmac in
   * alternating benchmark runs.
   */
  hash(value: string): string {
    if (oneShotDigest === undefined || value.length > ONE_SHOT_MAX_LENGTH) {
      return HMAC_PREFIX + createHmac('sha256', this.key).update(value, 'utf8').digest('hex');
    }
    const end = BLOCK_BYTES + (this.innerInput as unknown as DirectWriters).utf8Write(value, BLOCK_BYTES);
    let inner: string;
    try {
      // As a latin1 string, each byte of the digest is one character, and the string costs less to make than a Buffer.
      inner = oneShotDigest('sha256', this.innerPrefix(end), 'latin1');
    } finally {
      // The value may be a secret, so its bytes do not stay in the buffer.
      this.innerBytes.fill(0, BLOCK_BYTES, end);
    }
    (this.outerInput as unknown as DirectWriters).latin1Write(inner, BLOCK_BYTES);
    return HMAC_PREFIX + oneShotDigest('sha256', this.outerInput, 'hex');
  }

  /** Returns the first `end` bytes of `innerInput`, from the views kept for short values. */
  private innerPrefix(end: number): Uint8Array {
    if (end >= this.innerViews.length) return this.innerInput.subarray(0, end);
    let view = this.innerViews[end];
    if (view === undefined) {
      view = this.innerInput.subarray(0, end);
      this.innerViews[end] = view;
    }
    return view;
  }

  /** Hashes a token or accessor, from the cache when it was hashed before. */
  hashToken(value: string): string {
    if (value.length > TOKEN_CACHE_MAX_LENGTH) return this.hash(value);
    const cached = this.tokenCache.get(value);
    if (cached !== undefined) return cached;
    const hashed = this.hash(value);
    this.tokenCache.set(value, hashed);
    return hashed;
  }

  /**
   * Hashes a string of audited data, from the cache when it is short and was
   * hashed before. While few lookups hit, only a sample of the missed values
   * is cached (see ADMISSION_MIN_HIT_RATE).
   */
  hashDataValue(value: string): string {
    if (value.length > VALUE_CACHE_MAX_LENGTH) return this.hash(value);
    const cached = this.valueCache.get(value);
    this.valueLookups += 1;
    if (cached !== undefined) {
      this.valueHits += 1;
      this.endAdmissionWindow();
      return cached;
    }
    const hashed = this.hash(value);
    if (!this.sampling || Math.random() * ADMISSION_SAMPLE < 1) this.valueCache.set(value, hashed);
    this.endAdmissionWindow();
    return hashed;
  }

  /** At the end of each window of lookups, decides from the window's hit rate whether the next one samples its misses. */
  private endAdmissionWindow(): void {
    if (this.valueLookups < ADMISSION_WINDOW) return;
    this.sampling = this.valueHits < this.valueLookups * ADMISSION_MIN_HIT_RATE;
    this.valueLookups = 0;
    this.valueHits = 0;
  }

  /**
   * Hashed request data by the request's data object, so the response
   * entry of a request reuses what its request entry computed. Entries go
   * away with the request's data object.
   */
  private readonly requestDataCache = new WeakMap<object, { exempt: readonly string[] | undefined; hashed: Record<string, unknown> }>();

  /**
   * Returns `hashData(data, exempt)`, computed once per data object and list
   * of exempt keys. Callers must not change `data` or the result afterwards.
   */
  hashRequestData(data: Record<string, unknown>, exempt: readonly string[] | undefined): Record<string, unknown> {
    const cached = this.requestDataCache.get(data);
    if (cached !== undefined && cached.exempt === exempt) return cached.hashed;

    const hashed = this.hashData(data, new Set(exempt));
    this.requestDataCache.set(data, { exempt, hashed });
    return hashed;
  }

  /** Number of cached token and accessor HMACs. */
  get cachedTokens(): number {
    return this.tokenCache.size;
  }

  /** Number of cached data value HMACs. */
  get cachedValues(): number {
    return this.valueCache.size;
  }

  /**
   * Returns a copy of `data` with every string at any depth replaced by its
   * HMAC, as Vault's hashstructure does. Numbers, booleans and null keep
   * their type. A string whose nearest enclosing object key is in `exempt`
   * stays in clear, including the strings of a list under that key. Keys are
   * never hashed.
   */
  hashData(data: Record<string, unknown>, exempt: ReadonlySet<string>): Record<string, unknown> {
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(data)) {
      setMember(copy, key, this.hashValue(value, key, exempt));
    }
    return copy;
  }

  /** Compares two HMACs without leaking where they differ. */
  static equal(left: string, right: string): boolean {
    const a = Buffer.from(left);
    const b = Buffer.from(right);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * Returns `JSON.stringify(this.hashData(data, exempt))`, written as text
   * without building the hashed copy.
   */
  hashDataJson(data: Record<string, unknown>, exempt: ReadonlySet<string>): string {
    return this.objectJson(data, exempt);
  }

  private objectJson(value: object, exempt: ReadonlySet<string>): string {
    let json = '{';
    for (const key of Object.keys(value)) {
      const member = this.valueJson((value as Record<string, unknown>)[key], key, exempt);
      if (member === undefined) continue;
      json += json.length === 1 ? `${quoteKey(key)}:${member}` : `,${quoteKey(key)}:${member}`;
    }
    return `${json}}`;
  }

  /** Returns the JSON text of `hashValue(value, key, exempt)`, or `undefined` where JSON leaves a member out. */
  private valueJson(value: unknown, key: string, exempt: ReadonlySet<string>): string | undefined {
    // An HMAC is the prefix and hex digits, which JSON needs no escapes for.
    if (typeof value === 'string') return exempt.has(key) ? JSON.stringify(value) : `"${this.hashDataValue(value)}"`;
    if (typeof value === 'bigint') return exempt.has(key) ? value.toString() : `"${this.hashDataValue(value.toString())}"`;
    if (typeof value !== 'object' || value === null || value instanceof Date || value instanceof Uint8Array) {
      return JSON.stringify(this.hashValue(value, key, exempt));
    }
    if (!Array.isArray(value)) return this.objectJson(value, exempt);

    let json = '[';
    for (let i = 0; i < value.length; i += 1) {
      json += `${i === 0 ? '' : ','}${this.valueJson(value[i], key, exempt) ?? 'null'}`;
    }
    return `${json}]`;
  }

  private hashValue(value: unknown, key: string, exempt: ReadonlySet<string>): unknown {
    if (typeof value === 'string') return exempt.has(key) ? value : this.hashDataValue(value);
    // An integer past 2^53 is HMACed as its digits, and an exempt one stays a number.
    if (typeof value === 'bigint') return exempt.has(key) ? value : this.hashDataValue(value.toString());
    // JSON leaves functions and symbols out, and a copied toJSON function would put its clear result in the entry.
    if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    if (value === null || typeof value !== 'object') return value;

    if (Array.isArray(value)) return value.map((item) => this.hashValue(item, key, exempt));
    // Vault writes times in clear, in RFC 3339 form.
    if (value instanceof Date) return value.toISOString();
    // Binary data reaches clients base64-encoded, so that is the string to hash.
    if (value instanceof Uint8Array) return this.hashValue(Buffer.from(value).toString('base64'), key, exempt);

    const copy: Record<string, unknown> = {};
    for (const [childKey, child] of Object.entries(value)) {
      setMember(copy, childKey, this.hashValue(child, childKey, exempt));
    }
    return copy;
  }
}

/** Field names as JSON strings, since requests to one path repeat the same few names. */
const quotedKeys = new Map<string, string>();
/** The key cache is cleared when it contains this many names, because clients choose them. */
const QUOTED_KEYS_MAX = 1024;
/** Names longer than this are quoted every time. */
const QUOTED_KEY_MAX_LENGTH = 64;

/** Returns `JSON.stringify(key)`, from the cache when the name was quoted before. */
function quoteKey(key: string): string {
  if (key.length > QUOTED_KEY_MAX_LENGTH) return JSON.stringify(key);
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    if (quotedKeys.size >= QUOTED_KEYS_MAX) quotedKeys.clear();
    quoted = JSON.stringify(key);
    quotedKeys.set(key, quoted);
  }
  return quoted;
}

/**
 * HMACs by value, in a young and an old generation of `generationSize`
 * entries each. A full young generation replaces the old one, which is
 * dropped whole, and a hit in the old one copies the entry into the young
 * one. So the last `generationSize` distinct values always stay. Evicting
 * the oldest entry of one Map instead left a deleted slot at its front each
 * time, which every later eviction walked past.
 */
class GenerationCache {
  private young = new Map<string, string>();
  private old = new Map<string, string>();

  constructor(private readonly generationSize: number) {}

  /** Number of entries, counting a value held by both generations twice. */
  get size(): number {
    return this.young.size + this.old.size;
  }

  get(value: string): string | undefined {
    const young = this.young.get(value);
    if (young !== undefined) return young;
    const old = this.old.get(value);
    if (old !== undefined) this.set(value, old);
    return old;
  }

  set(value: string, hashed: string): void {
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(value, hashed);
  }
}

/**
 * Adds a member to a copy. JSON.parse makes `__proto__` an own key, but an
 * assignment to it would set the copy's prototype and drop the member.
 */
export function setMember(copy: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  else copy[key] = value;
}
