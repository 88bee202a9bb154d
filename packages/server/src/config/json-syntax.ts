/**
 * A JSON syntax checker that reports where a document goes wrong, because
 * JSON.parse in Node.js 20 often omits the position and quotes the text
 * around it instead (which may hold a secret). It also rejects a key repeated
 * in one object, which JSON.parse would silently resolve to the last value
 * while HCL rejects a repeated argument.
 */

export interface JsonSyntaxError {
  /** Character offset of the problem. */
  offset: number;
  detail: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

class Failure {
  constructor(readonly error: JsonSyntaxError) {}
}

/** Returns the first syntax error in `text`, or undefined for a valid JSON document. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const scanner = new JsonScanner(text);
  try {
    scanner.document();
    return undefined;
  } catch (error) {
    if (error instanceof Failure) return error.error;
    throw error;
  }
}

class JsonScanner {
  private offset = 0;

  constructor(private readonly text: string) {}

  document(): void {
    this.value();
    this.skipWhitespace();
    if (this.offset < this.text.length) this.fail('unexpected text after the end of the JSON document');
  }

  private value(): void {
    this.skipWhitespace();
    const char = this.text[this.offset];
    if (char === '{') return this.object();
    if (char === '[') return this.array();
    if (char === '"') return void this.string();
    if (char === '-' || (char >= '0' && char <= '9')) return this.number();
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.offset)) {
        this.offset += literal.length;
        return;
      }
    }
    this.fail(`expected a value, found ${this.describeHere()}`);
  }

  private object(): void {
    this.offset++;
    const keys = new Set<string>();
    this.skipWhitespace();
    if (this.text[this.offset] === '}') {
      this.offset++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.offset] !== '"') this.fail(`expected a quoted key, found ${this.describeHere()}`);
      const keyOffset = this.offset;
      const key = this.string();
      if (keys.has(key)) this.fail(`duplicate key "${key}". A key may appear only once in an object.`, keyOffset);
      keys.add(key);

      this.skipWhitespace();
      if (this.text[this.offset] !== ':') this.fail(`expected ':' after a key, found ${this.describeHere()}`);
      this.offset++;
      this.value();

      this.skipWhitespace();
      const next = this.text[this.offset];
      if (next !== ',' && next !== '}') {
        this.fail(`expected ',' or '}' after a value, found ${this.describeHere()}`);
      }
      this.offset++;
      if (next === '}') return;
    }
  }

  private array(): void {
    this.offset++;
    this.skipWhitespace();
    if (this.text[this.offset] === ']') {
      this.offset++;
      return;
    }
    for (;;) {
      this.value();
      this.skipWhitespace();
      const next = this.text[this.offset];
      if (next !== ',' && next !== ']') {
        this.fail(`expected ',' or ']' after a value, found ${this.describeHere()}`);
      }
      this.offset++;
      if (next === ']') return;
    }
  }

  /** Scans a string starting at its opening quote and returns its raw contents. */
  private string(): string {
    const start = this.offset;
    this.offset++;
    for (;;) {
      const char = this.text[this.offset];
      if (char === undefined) this.fail('unterminated string', start);
      if (char === '"') break;
      if (char === '\\') {
        ESCAPE.lastIndex = this.offset;
        if (!ESCAPE.test(this.text)) this.fail('invalid escape sequence in a string');
        this.offset = ESCAPE.lastIndex;
        continue;
      }
      if (char < ' ') this.fail('unescaped control character in a string (write a newline as \\n)');
      this.offset++;
    }
    this.offset++;
    return this.text.slice(start + 1, this.offset - 1);
  }

  private number(): void {
    NUMBER.lastIndex = this.offset;
    if (!NUMBER.test(this.text)) this.fail(`invalid number, found ${this.describeHere()}`);
    this.offset = NUMBER.lastIndex;
  }

  private skipWhitespace(): void {
    while (/[ \t\n\r]/.test(this.text[this.offset] ?? '')) this.offset++;
  }

  private describeHere(): string {
    const char = this.text[this.offset];
    return char === undefined ? 'the end of the file' : `'${char}'`;
  }

  private fail(detail: string, offset = this.offset): never {
    throw new Failure({ offset, detail });
  }
}
