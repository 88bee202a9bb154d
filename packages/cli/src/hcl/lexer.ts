// Tokens of HCL's native syntax, the subset that policies and server
// configs use: identifiers, quoted strings, heredocs, numbers, the
// punctuation of blocks, lists and objects, newlines and comments.

/** Kind of a token. Newlines are tokens because they end attributes. */
export type TokenKind = 'identifier' | 'string' | 'heredoc' | 'number' | 'punctuation' | 'newline' | 'comment' | 'end';

/** One token, with the 1-based line and column where it starts. */
export interface Token {
  kind: TokenKind;
  /** Source text of the token; a string keeps its quotes and escapes. */
  text: string;
  line: number;
  column: number;
}

/** A syntax error at a line and column of the source. */
export class HclSyntaxError extends Error {
  override name = 'HclSyntaxError';

  constructor(
    readonly line: number,
    readonly column: number,
    /** Description of the error, without the position. */
    readonly problem: string,
  ) {
    super(`line ${line}, column ${column}: ${problem}`);
  }
}

const punctuation = new Set(['{', '}', '[', ']', '=', ',', ':']);

function isIdentifierStart(char: string): boolean {
  return /[A-Za-z_]/.test(char);
}

function isIdentifierPart(char: string): boolean {
  return /[A-Za-z0-9_.-]/.test(char);
}

/** Splits HCL source into tokens, ending with one `end` token. */
export function tokenize(source: string): Token[] {
  return new Lexer(source).run();
}

class Lexer {
  private offset = 0;
  private line = 1;
  private column = 1;
  private readonly tokens: Token[] = [];

  constructor(private readonly source: string) {}

  run(): Token[] {
    while (this.offset < this.source.length) {
      const char = this.source[this.offset];
      if (char === ' ' || char === '\t' || char === '\r') {
        this.advance(1);
      } else if (char === '\n') {
        this.push('newline', 1);
      } else if (char === '#' || this.source.startsWith('//', this.offset)) {
        this.push('comment', this.lineCommentLength());
      } else if (this.source.startsWith('/*', this.offset)) {
        this.push('comment', this.blockCommentLength());
      } else if (char === '"') {
        this.push('string', this.stringLength());
      } else if (this.source.startsWith('<<', this.offset)) {
        this.push('heredoc', this.heredocLength());
      } else if (/[0-9]/.test(char) || (char === '-' && /[0-9]/.test(this.source[this.offset + 1] ?? ''))) {
        this.push('number', this.numberLength());
      } else if (isIdentifierStart(char)) {
        let length = 1;
        while (isIdentifierPart(this.source[this.offset + length] ?? '')) length += 1;
        this.push('identifier', length);
      } else if (punctuation.has(char)) {
        this.push('punctuation', 1);
      } else {
        throw new HclSyntaxError(this.line, this.column, `unexpected character ${JSON.stringify(char)}`);
      }
    }
    this.tokens.push({ kind: 'end', text: '', line: this.line, column: this.column });
    return this.tokens;
  }

  /** Adds the next `length` characters as one token and moves past them. */
  private push(kind: TokenKind, length: number): void {
    this.tokens.push({ kind, text: this.source.slice(this.offset, this.offset + length), line: this.line, column: this.column });
    this.advance(length);
  }

  private advance(length: number): void {
    for (const char of this.source.slice(this.offset, this.offset + length)) {
      if (char === '\n') {
        this.line += 1;
        this.column = 1;
      } else {
        this.column += 1;
      }
    }
    this.offset += length;
  }

  private lineCommentLength(): number {
    const newline = this.source.indexOf('\n', this.offset);
    const end = newline === -1 ? this.source.length : newline;
    // A Windows line ending leaves "\r" before the newline, which is not part of the comment.
    return this.source.slice(this.offset, end).replace(/\r$/, '').length;
  }

  private blockCommentLength(): number {
    const close = this.source.indexOf('*/', this.offset + 2);
    if (close === -1) throw new HclSyntaxError(this.line, this.column, 'unterminated comment: add "*/" to close the comment that starts here');
    return close + 2 - this.offset;
  }

  /**
   * Measures a quoted string up to its closing quote, skipping escaped characters.
   * NOTE: a quote inside a `${...}` interpolation ends the string here; policies have no interpolations.
   */
  private stringLength(): number {
    let index = this.offset + 1;
    while (index < this.source.length) {
      const char = this.source[index];
      if (char === '\\') {
        index += 2;
      } else if (char === '"') {
        return index + 1 - this.offset;
      } else if (char === '\n') {
        break;
      } else {
        index += 1;
      }
    }
    throw new HclSyntaxError(this.line, this.column, 'unterminated string: add the closing quote on the same line');
  }

  /** Measures a heredoc, `<<EOF` or `<<-EOF`, through the line that holds only its marker. */
  private heredocLength(): number {
    const opener = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)\r?\n/.exec(this.source.slice(this.offset));
    if (opener === null) {
      throw new HclSyntaxError(this.line, this.column, 'invalid heredoc: expected a marker such as <<EOT, then a newline');
    }
    const marker = opener[1];
    let lineStart = this.offset + opener[0].length;
    while (lineStart < this.source.length) {
      const newline = this.source.indexOf('\n', lineStart);
      const lineEnd = newline === -1 ? this.source.length : newline;
      if (this.source.slice(lineStart, lineEnd).trim() === marker) {
        return this.source.slice(this.offset, lineEnd).replace(/\r$/, '').length;
      }
      lineStart = lineEnd + 1;
    }
    throw new HclSyntaxError(this.line, this.column, `unterminated heredoc: add a line that contains only "${marker}" to close it`);
  }

  private numberLength(): number {
    const match = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.source.slice(this.offset));
    return match![0].length;
  }
}
