/**
 * Minimal DER encoding and decoding for the structures @peculiar/x509 does
 * not build or parse: otherName SANs, certificate policies with qualifiers
 * and name constraints.
 */

/** Encodes a DER length. */
export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Encodes a DER element with `tag` around `content`. */
export function derTagged(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

export function derSequence(...parts: Buffer[]): Buffer {
  return derTagged(0x30, Buffer.concat(parts));
}

const DOTTED_OID = /^[0-2](\.(0|[1-9]\d*))+$/;

/**
 * Returns what is wrong with a dotted OID, or `undefined` when it is valid.
 * Under the arcs 0 and 1 the second arc is below 40 (X.660), because the
 * encoding joins the first two arcs as 40 * first + second, and 1.40 would
 * come out as 2.0.
 */
export function oidProblem(dotted: string): 'syntax' | 'second arc' | undefined {
  if (!DOTTED_OID.test(dotted)) return 'syntax';
  const [first, second] = dotted.split('.').map((arc) => BigInt(arc));
  return first < 2n && second >= 40n ? 'second arc' : undefined;
}

/**
 * Encodes a dotted OID (X.690 section 8.19): the first two arcs as one
 * number, then each arc in base 128 with the high bit on every byte but the last.
 */
export function derOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  const numbers = [arcs[0] * 40n + arcs[1], ...arcs.slice(2)];
  const bytes: number[] = [];
  for (const value of numbers) {
    const groups: number[] = [Number(value & 0x7fn)];
    for (let rest = value >> 7n; rest > 0n; rest >>= 7n) groups.unshift(Number(rest & 0x7fn) | 0x80);
    bytes.push(...groups);
  }
  return derTagged(0x06, Buffer.from(bytes));
}

/**
 * Decodes the content of a DER OID to dotted form.
 * @throws Error when the content is empty or its last arc is cut off.
 */
export function decodeOid(content: Buffer): string {
  if (content.length === 0 || (content[content.length - 1] & 0x80) !== 0) throw new Error('truncated OBJECT IDENTIFIER');
  const numbers: bigint[] = [];
  let value = 0n;
  for (const byte of content) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      numbers.push(value);
      value = 0n;
    }
  }
  const first = numbers[0] < 80n ? numbers[0] / 40n : 2n;
  return [first, numbers[0] - first * 40n, ...numbers.slice(1)].join('.');
}

/** One DER element: its tag, its content, and its whole encoding. */
export interface DerElement {
  tag: number;
  content: Buffer;
  encoded: Buffer;
}

/**
 * Splits DER bytes into their top-level elements. Only definite lengths are
 * read, as DER requires.
 * @throws Error when an element is truncated or uses an indefinite length.
 */
export function derElements(bytes: Buffer): DerElement[] {
  const elements: DerElement[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) throw new Error('truncated DER element');
    const tag = bytes[offset];
    let length = bytes[offset + 1];
    let header = 2;
    if (length === 0x80) throw new Error('indefinite DER length');
    if (length > 0x80) {
      const count = length & 0x7f;
      if (count > 4 || offset + 2 + count > bytes.length) throw new Error('invalid DER length');
      length = 0;
      for (let index = 0; index < count; index += 1) length = length * 256 + bytes[offset + 2 + index];
      header += count;
    }
    const end = offset + header + length;
    if (end > bytes.length) throw new Error('truncated DER element');
    elements.push({ tag, content: bytes.subarray(offset + header, end), encoded: bytes.subarray(offset, end) });
    offset = end;
  }
  return elements;
}
