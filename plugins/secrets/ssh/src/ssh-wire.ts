/**
 * The SSH wire encoding of RFC 4251, section 5: big-endian integers,
 * length-prefixed strings and two's-complement mpints. Public keys,
 * signatures, certificates and OpenSSH private keys are all built from it.
 */

/** Builds an SSH-encoded byte string field by field. */
export class SshWriter {
  private readonly parts: Buffer[] = [];

  /** Appends a uint32. */
  uint32(value: number): this {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value);
    this.parts.push(bytes);
    return this;
  }

  /** Appends a uint64. */
  uint64(value: bigint): this {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(value);
    this.parts.push(bytes);
    return this;
  }

  /** Appends a length-prefixed string of bytes or UTF-8 text. */
  string(value: Buffer | string): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.uint32(bytes.length);
    this.parts.push(bytes);
    return this;
  }

  /** Appends a non-negative mpint given as its unsigned big-endian magnitude. */
  mpint(magnitude: Buffer): this {
    let start = 0;
    while (start < magnitude.length && magnitude[start] === 0) start++;
    const trimmed = magnitude.subarray(start);
    // A set top bit would read as negative, so such a value gets a leading zero byte.
    const needsPad = trimmed.length > 0 && (trimmed[0]! & 0x80) !== 0;
    return this.string(needsPad ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
  }

  /** Appends bytes as they are, without a length. */
  raw(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }

  /** Returns everything appended so far. */
  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Thrown when SSH-encoded input ends early or has trailing bytes. */
export class SshFormatError extends Error {}

/** Reads an SSH-encoded byte string field by field. */
export class SshReader {
  private offset = 0;

  constructor(private readonly bytes: Buffer) {}

  /** Reads a uint32. */
  uint32(): number {
    this.need(4);
    const value = this.bytes.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** Reads a uint64. */
  uint64(): bigint {
    this.need(8);
    const value = this.bytes.readBigUInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  /** Reads a length-prefixed string as bytes. */
  string(): Buffer {
    const length = this.uint32();
    this.need(length);
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** Reads a length-prefixed string as UTF-8 text. */
  text(): string {
    return this.string().toString('utf8');
  }

  /**
   * Reads a non-negative mpint and returns its magnitude without leading zero bytes.
   * @throws SshFormatError for a negative value.
   */
  mpint(): Buffer {
    const value = this.string();
    if (value.length > 0 && (value[0]! & 0x80) !== 0) throw new SshFormatError('negative mpint');
    let start = 0;
    while (start < value.length && value[start] === 0) start++;
    return value.subarray(start);
  }

  /** Returns the bytes not read yet. */
  rest(): Buffer {
    const value = this.bytes.subarray(this.offset);
    this.offset = this.bytes.length;
    return value;
  }

  /** Returns true when every byte has been read. */
  atEnd(): boolean {
    return this.offset === this.bytes.length;
  }

  /** @throws SshFormatError when bytes are left after the last field. */
  expectEnd(): void {
    if (!this.atEnd()) throw new SshFormatError(`${this.bytes.length - this.offset} unexpected trailing bytes`);
  }

  private need(count: number): void {
    if (this.offset + count > this.bytes.length) throw new SshFormatError('data ends before the last field');
  }
}
