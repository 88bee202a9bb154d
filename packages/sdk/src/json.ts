/**
 * JSON that keeps every integer exact. `JSON.parse` reads each number as a
 * double, so an integer past 2^53 comes back changed, while Vault reads
 * request bodies with Go's `json.Number` and returns such a number as it was
 * sent. Here an integer literal outside the safe range becomes a `bigint`,
 * and the serializer writes a `bigint` as its digits.
 */

/**
 * Vault's default `max_json_depth` for a listener: 500 levels. Deeper input
 * could exhaust the stack of code that walks it, such as audit HMACing.
 */
export const MAX_JSON_DEPTH = 500;

/** Returns true when `value` nests objects or arrays deeper than `limit` levels. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth += 1) {
    if (depth > limit) return true;
    const next: unknown[] = [];
    for (const item of level) {
      if (item === null || typeof item !== 'object') continue;
      // A loop, not push(...values): spreading a wide array as arguments overflows the stack.
      for (const child of Object.values(item)) next.push(child);
    }
    level = next;
  }
  return false;
}

/**
 * Parses JSON like `JSON.parse`, except that an integer literal (no fraction,
 * no exponent) whose magnitude exceeds `Number.MAX_SAFE_INTEGER` becomes a
 * `bigint`. `JSON.parse` reads the text first. Only when it returned a number
 * past that bound, which such a literal always becomes, is the text parsed
 * again exactly. Ordinary input thus costs one walk over the parsed values,
 * not over the text: a 4 KiB transit body is one string value, while a
 * regular expression scan of its 5.5 KB took about 4 us, twice the parse.
 *
 * @throws SyntaxError with `JSON.parse`'s message for text that is not JSON.
 */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return holdsUnsafeNumber(value) ? parseJsonExact(text) : value;
}

/** Returns true when `value`, as `JSON.parse` returns it, contains a number whose magnitude exceeds `Number.MAX_SAFE_INTEGER`. */
export function holdsUnsafeNumber(value: unknown): boolean {
  if (typeof value === 'number') return isUnsafe(value);
  if (typeof value !== 'object' || value === null) return false;
  // Containers wait in a list rather than on the stack, because JSON.parse
  // accepts nesting deeper than the stack. A flat object allocates nothing.
  let pending: object[] | undefined;
  let current: object | undefined = value;
  while (current !== undefined) {
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index += 1) {
        const member: unknown = current[index];
        if (typeof member === 'number' ? isUnsafe(member) : false) return true;
        if (typeof member === 'object' && member !== null) (pending ??= []).push(member);
      }
    } else {
      for (const key in current) {
        const member: unknown = (current as Record<string, unknown>)[key];
        if (typeof member === 'number' ? isUnsafe(member) : false) return true;
        if (typeof member === 'object' && member !== null) (pending ??= []).push(member);
      }
    }
    current = pending?.pop();
  }
  return false;
}

function isUnsafe(value: number): boolean {
  return value > Number.MAX_SAFE_INTEGER || value < -Number.MAX_SAFE_INTEGER;
}

/**
 * Parses JSON exactly as {@link parseJson} does, without the fast path. It makes
 * objects as `JSON.parse` does: `__proto__` is an own key, and of duplicate
 * keys the last value wins at the first key's place. Nesting takes heap, not
 * stack, so deep input cannot overflow the stack.
 *
 * @throws SyntaxError with `JSON.parse`'s message for text that is not JSON.
 */
export function parseJsonExact(text: string): unknown {
  try {
    return new ExactParser(text).parse();
  } catch (err) {
    if (!(err instanceof MalformedJson)) throw err;
    // JSON.parse throws too, with its own message, so callers see one kind of error.
    JSON.parse(text);
    throw new SyntaxError(`unexpected input in JSON at position ${err.position}`);
  }
}

/** An error raised inside the parser and replaced by `JSON.parse`'s SyntaxError at the top. */
class MalformedJson extends Error {
  constructor(readonly position: number) {
    super('malformed JSON');
  }
}

/** An integer literal and the fraction and exponent that would make it a double. */
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const CHAR_QUOTE = 0x22;
const CHAR_BACKSLASH = 0x5c;

/** An open array or object, and for an object the key its next value goes to. */
interface Frame {
  readonly container: unknown[] | Record<string, unknown>;
  key: string;
}

class ExactParser {
  private position = 0;

  constructor(private readonly text: string) {}

  parse(): unknown {
    const stack: Frame[] = [];
    for (;;) {
      let value = this.readValueOrOpen(stack);
      if (value === OPENED) continue;

      // The value may complete its container, and that one the next.
      for (;;) {
        const frame = stack.at(-1);
        if (frame === undefined) {
          this.skipSpace();
          if (this.position !== this.text.length) throw this.fail();
          return value;
        }
        store(frame, value);
        this.skipSpace();
        const next = this.text[this.position];
        this.position += 1;
        const isArray = Array.isArray(frame.container);
        if (next === ',') {
          if (!isArray) frame.key = this.readKey();
          break;
        }
        if (next !== (isArray ? ']' : '}')) throw this.fail(-1);
        stack.pop();
        value = frame.container;
      }
    }
  }

  /** Reads a scalar or an empty container, or opens a container on `stack` and returns OPENED. */
  private readValueOrOpen(stack: Frame[]): unknown {
    this.skipSpace();
    const char = this.text[this.position];
    if (char !== '{' && char !== '[') return this.readScalar();

    this.position += 1;
    this.skipSpace();
    if (this.text[this.position] === (char === '{' ? '}' : ']')) {
      this.position += 1;
      return char === '{' ? {} : [];
    }
    if (char === '[') stack.push({ container: [], key: '' });
    else stack.push({ container: {}, key: this.readKey() });
    return OPENED;
  }

  /** Reads `"key"` and the colon after it. */
  private readKey(): string {
    this.skipSpace();
    if (this.text.charCodeAt(this.position) !== CHAR_QUOTE) throw this.fail();
    const key = this.readString();
    this.skipSpace();
    if (this.text[this.position] !== ':') throw this.fail();
    this.position += 1;
    return key;
  }

  private readScalar(): unknown {
    const { text } = this;
    const char = text[this.position];
    if (char === '"') return this.readString();
    if (char === 't') return this.readWord('true', true);
    if (char === 'f') return this.readWord('false', false);
    if (char === 'n') return this.readWord('null', null);
    return this.readNumber();
  }

  private readWord<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) throw this.fail();
    this.position += word.length;
    return value;
  }

  private readNumber(): number | bigint {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (match === null) throw this.fail();
    this.position = NUMBER.lastIndex;

    const literal = match[0];
    const integer = match[1] === undefined && match[2] === undefined;
    // A literal shorter than 16 characters has at most 15 digits, so it is below 10^15 and safe.
    if (!integer || literal.length < 16) return Number(literal);
    const exact = BigInt(literal);
    return exact > MAX_SAFE || exact < -MAX_SAFE ? exact : Number(literal);
  }

  /** Reads a string from its opening quote. JSON.parse decodes the escapes. */
  private readString(): string {
    const { text } = this;
    const start = this.position;
    let escaped = false;
    let index = start + 1;
    for (;;) {
      const code = text.charCodeAt(index);
      if (code === CHAR_QUOTE) break;
      if (code === CHAR_BACKSLASH) {
        escaped = true;
        index += 2;
        continue;
      }
      // A control character, or the end of the text (NaN).
      if (!(code >= 0x20)) throw this.fail(index - this.position);
      index += 1;
    }
    this.position = index + 1;
    if (!escaped) return text.slice(start + 1, index);
    try {
      return JSON.parse(text.slice(start, index + 1)) as string;
    } catch {
      throw this.fail(start - this.position);
    }
  }

  private skipSpace(): void {
    const { text } = this;
    let code = text.charCodeAt(this.position);
    while (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) {
      this.position += 1;
      code = text.charCodeAt(this.position);
    }
  }

  private fail(offset = 0): MalformedJson {
    return new MalformedJson(this.position + offset);
  }
}

/** A marker returned by readValueOrOpen when it opened a container instead of reading a value. */
const OPENED = Symbol('opened');

/** Adds a value to a frame. `__proto__` is defined, since assigning it would set the prototype. */
function store(frame: Frame, value: unknown): void {
  const { container } = frame;
  if (Array.isArray(container)) {
    container.push(value);
  } else if (frame.key === '__proto__') {
    Object.defineProperty(container, frame.key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    container[frame.key] = value;
  }
}

/** A pattern for V8's message when `JSON.stringify` meets a bigint ("Do not know how to serialize a BigInt"). */
const BIGINT_ERROR = /BigInt/;

/**
 * Serializes `value` to the text `JSON.stringify(value, null, space)`
 * returns, except that a `bigint` (or a boxed one) is written as its digits
 * instead of throwing. Values without a bigint go to `JSON.stringify`. For
 * the others, getters and `toJSON` methods of what it had walked run again.
 *
 * @throws TypeError for a cycle, as `JSON.stringify` does.
 */
export function stringifyJson(value: unknown, space?: string | number): string | undefined {
  try {
    return JSON.stringify(value, null, space);
  } catch (err) {
    if (!(err instanceof TypeError) || !BIGINT_ERROR.test(err.message)) throw err;
  }
  return new ExactWriter(gapOf(space)).property({ '': value }, '', '');
}

/** Returns the indentation `JSON.stringify` takes from its `space` argument. */
function gapOf(space: string | number | undefined): string {
  if (typeof space === 'number') return ' '.repeat(Math.min(10, Math.max(0, Math.trunc(space))));
  return typeof space === 'string' ? space.slice(0, 10) : '';
}

/** A serializer that follows the steps of JSON.stringify (ECMA-262, SerializeJSONProperty) with bigints written as digits. */
class ExactWriter {
  private readonly open: object[] = [];

  constructor(private readonly gap: string) {}

  property(holder: object, key: string, indent: string): string | undefined {
    let value: unknown = (holder as Record<string, unknown>)[key];
    if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
      const toJson = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJson === 'function') value = toJson.call(value, key) as unknown;
    }
    value = unbox(value);

    if (value === null) return 'null';
    switch (typeof value) {
      case 'boolean':
        return value ? 'true' : 'false';
      case 'string':
        return JSON.stringify(value);
      case 'number':
        return Number.isFinite(value) ? JSON.stringify(value) : 'null';
      case 'bigint':
        return value.toString();
      case 'object':
        return this.container(value as object, indent);
      default:
        return undefined;
    }
  }

  private container(value: object, indent: string): string {
    if (this.open.includes(value)) throw new TypeError('converting circular structure to JSON');
    this.open.push(value);
    const inner = indent + this.gap;
    const isArray = Array.isArray(value);
    const parts: string[] = [];
    if (isArray) {
      for (let index = 0; index < value.length; index += 1) parts.push(this.property(value, String(index), inner) ?? 'null');
    } else {
      const colon = this.gap === '' ? ':' : ': ';
      for (const key of Object.keys(value)) {
        const text = this.property(value, key, inner);
        if (text !== undefined) parts.push(JSON.stringify(key) + colon + text);
      }
    }
    this.open.pop();

    const [opening, closing] = isArray ? ['[', ']'] : ['{', '}'];
    if (parts.length === 0) return opening + closing;
    if (this.gap === '') return opening + parts.join(',') + closing;
    return `${opening}\n${inner}${parts.join(`,\n${inner}`)}\n${indent}${closing}`;
  }
}

/** Unwraps boxed primitives, as JSON.stringify does. */
function unbox(value: unknown): unknown {
  if (value instanceof Number) return Number(value);
  if (value instanceof String) return String(value);
  if (value instanceof Boolean || value instanceof BigInt) return value.valueOf();
  return value;
}
