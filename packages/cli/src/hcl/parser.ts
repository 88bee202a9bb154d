// A syntax tree of HCL's native syntax that keeps comments and blank
// lines, so a formatter can rewrite a file without losing them.
import type { Token } from './lexer.js';
import { HclSyntaxError, tokenize } from './lexer.js';

/**
 * Lines above an item: comment texts, and '' for a blank line. Comments
 * never have empty text, so '' is free to mark the blank line.
 */
export type LeadingLines = string[];

/** An attribute or block, with its comments. */
interface ItemBase {
  leading: LeadingLines;
  /** Comment on the same line, after the item. */
  trailing?: string;
}

/** `key = value`. The key keeps its quotes when it had them. */
export interface Attribute extends ItemBase {
  kind: 'attribute';
  key: string;
  value: Value;
}

/** `type "label" { ... }`. Labels keep their quotes when they had them. */
export interface Block extends ItemBase {
  kind: 'block';
  type: string;
  labels: string[];
  body: Body;
}

export type Item = Attribute | Block;

/** The items of a file, a block or an object, and the comments after the last one. */
export interface Body {
  /** Comment on the line of the opening brace, after it. */
  opening?: string;
  items: Item[];
  closing: LeadingLines;
}

/** A string, heredoc, number, bool or null, as written. */
export interface Literal {
  kind: 'literal';
  text: string;
}

/** One element of a list, with its comments. */
export interface ListElement {
  leading: LeadingLines;
  value: Value;
  trailing?: string;
}

export interface ListValue {
  kind: 'list';
  elements: ListElement[];
  closing: LeadingLines;
  /** True when the source broke the list over several lines. */
  multiline: boolean;
}

export interface ObjectValue {
  kind: 'object';
  body: Body;
}

export type Value = Literal | ListValue | ObjectValue;

/**
 * Parses HCL source into a syntax tree.
 *
 * @throws HclSyntaxError with the line, column and problem of the first error.
 */
export function parseHcl(source: string): Body {
  return new Parser(tokenize(source)).file();
}

const literalIdentifiers = new Set(['true', 'false', 'null']);

function describe(token: Token): string {
  if (token.kind === 'end') return 'the end of the file';
  if (token.kind === 'newline') return 'a newline';
  // A string token already has its quotes.
  if (token.kind === 'string') return token.text;
  return JSON.stringify(token.text);
}

class Parser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  file(): Body {
    return this.body('end');
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    const token = this.tokens[this.index];
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  private fail(token: Token, problem: string): never {
    throw new HclSyntaxError(token.line, token.column, problem);
  }

  /**
   * Consumes newlines and comments and returns them as leading lines: the
   * comments, with '' where one or more blank lines stood.
   */
  private leadingLines(): LeadingLines {
    const lines: LeadingLines = [];
    let newlines = 0;
    for (;;) {
      const token = this.peek();
      if (token.kind === 'newline') {
        newlines += 1;
      } else if (token.kind === 'comment') {
        if (newlines >= 2 && lines.length > 0) lines.push('');
        lines.push(token.text);
        newlines = 0;
      } else {
        if (newlines >= 2 && lines.length > 0) lines.push('');
        return lines;
      }
      this.next();
    }
  }

  /** Consumes a comment that starts on `line`, the line where the previous item ended. */
  private trailingComment(line: number): string | undefined {
    const token = this.peek();
    if (token.kind !== 'comment' || token.line !== line) return undefined;
    this.next();
    return token.text;
  }

  /** Parses items until `closer` ("}" or the end of the file), which is left for the caller. */
  private body(closer: '}' | 'end', opener?: Token, inObject = false): Body {
    const items: Item[] = [];
    const opening = opener === undefined ? undefined : this.trailingComment(opener.line);
    for (;;) {
      const start = this.index;
      let leading = this.leadingLines();
      const token = this.peek();
      // leadingLines marks blank lines between comments and before the item; this adds one above the first comment.
      if (items.length > 0 && this.hadBlankLine(start)) leading = ['', ...leading];

      if (token.kind === 'end' || (token.kind === 'punctuation' && token.text === '}')) {
        if (closer === 'end' && token.kind !== 'end') this.fail(token, 'unexpected "}": there is no open block or object to close');
        if (closer === '}' && token.kind === 'end') {
          this.fail(token, `expected "}" to close the "{" at line ${opener!.line}, column ${opener!.column}, found the end of the file`);
        }
        const body: Body = { items, closing: trimTrailingBlankLines(leading) };
        if (opening !== undefined) body.opening = opening;
        return body;
      }

      const item = this.item(inObject);
      item.leading = leading;
      const trailing = this.trailingComment(this.tokens[this.index - 1].line);
      if (trailing !== undefined) item.trailing = trailing;
      items.push(item);
      this.endOfItem(item, inObject);
    }
  }

  /** Returns true when two newline tokens in a row follow `start`, before any other token. */
  private hadBlankLine(start: number): boolean {
    let newlines = 0;
    for (let index = start; index < this.index; index += 1) {
      const kind = this.tokens[index].kind;
      if (kind === 'newline') newlines += 1;
      else break;
    }
    return newlines >= 2;
  }

  /** After an item: a newline, a comma inside an object, or the closing brace. */
  private endOfItem(item: Item, inObject: boolean): void {
    const token = this.peek();
    if (token.kind === 'newline' || token.kind === 'end') return;
    if (token.kind === 'punctuation' && token.text === '}') return;
    if (inObject && token.kind === 'punctuation' && token.text === ',') {
      this.next();
      return;
    }
    const name = item.kind === 'attribute' ? item.key : item.type;
    this.fail(token, `expected a newline after ${item.kind === 'attribute' ? 'the value of' : 'the block'} ${name}, found ${describe(token)}`);
  }

  private item(inObject: boolean): Item {
    const key = this.next();
    if (key.kind !== 'identifier' && key.kind !== 'string') {
      this.fail(key, `expected an attribute name or a block type, found ${describe(key)}`);
    }

    const labels: string[] = [];
    for (;;) {
      const token = this.next();
      if (token.kind === 'punctuation' && (token.text === '=' || (inObject && token.text === ':'))) {
        if (labels.length > 0) this.fail(token, `unexpected "${token.text}" after the block labels of ${key.text}: write ${key.text} ${labels.join(' ')} { ... }`);
        return { kind: 'attribute', leading: [], key: key.text, value: this.value() };
      }
      if (token.kind === 'punctuation' && token.text === '{') {
        const body = this.body('}', token);
        this.next();
        return { kind: 'block', leading: [], type: key.text, labels, body };
      }
      if (token.kind === 'string' || token.kind === 'identifier') {
        labels.push(token.text);
        continue;
      }
      this.fail(token, `expected "=" or "{" after ${key.text}, found ${describe(token)}`);
    }
  }

  private value(): Value {
    const token = this.next();
    if (token.kind === 'string' || token.kind === 'heredoc' || token.kind === 'number') return { kind: 'literal', text: token.text };
    if (token.kind === 'identifier' && literalIdentifiers.has(token.text)) return { kind: 'literal', text: token.text };
    if (token.kind === 'punctuation' && token.text === '[') return this.list(token);
    if (token.kind === 'punctuation' && token.text === '{') {
      const body = this.body('}', token, true);
      this.next();
      return { kind: 'object', body };
    }
    this.fail(token, `expected a value (a quoted string, number, true, false, list or object), found ${describe(token)}`);
  }

  private list(opener: Token): ListValue {
    const elements: ListElement[] = [];
    let multiline = false;
    let commaMissing = false;
    for (;;) {
      const start = this.index;
      const leading = this.leadingLines();
      multiline ||= this.index > start;
      const token = this.peek();
      if (token.kind === 'punctuation' && token.text === ']') {
        this.next();
        return { kind: 'list', elements, closing: withoutBlankLines(leading), multiline };
      }
      if (token.kind === 'end') {
        this.fail(token, `expected "]" to close the "[" at line ${opener.line}, column ${opener.column}, found the end of the file`);
      }
      if (commaMissing) this.fail(token, `expected "," between list elements, before ${describe(token)}`);

      const element: ListElement = { leading: withoutBlankLines(leading), value: this.value() };
      const separator = this.peek();
      commaMissing = !(separator.kind === 'punctuation' && separator.text === ',');
      if (!commaMissing) {
        this.next();
      } else if (!(separator.kind === 'punctuation' && separator.text === ']') && separator.kind !== 'newline' && separator.kind !== 'comment') {
        this.fail(separator, `expected "," or "]" after a list element, found ${describe(separator)}`);
      }
      const trailing = this.trailingComment(this.tokens[this.index - 1].line);
      if (trailing !== undefined) element.trailing = trailing;
      elements.push(element);
    }
  }
}

/** Drops blank-line marks at the end of a body, where the printer never puts blank lines. */
function trimTrailingBlankLines(lines: LeadingLines): LeadingLines {
  let end = lines.length;
  while (end > 0 && lines[end - 1] === '') end -= 1;
  return lines.slice(0, end);
}

/** Drops every blank-line mark, for the lines inside a list, which the printer keeps together. */
function withoutBlankLines(lines: LeadingLines): LeadingLines {
  return lines.filter((line) => line !== '');
}
