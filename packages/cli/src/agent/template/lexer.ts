// Tokens of Go's text/template syntax, the subset that Consul Template and
// Vault Agent templates use: text, and actions between {{ and }} with trim
// markers ({{- and -}}), comments, strings, numbers, fields, variables,
// identifiers and the punctuation of pipelines.

/** An error in a template, at a line of its source. */
export class TemplateError extends Error {
  override name = 'TemplateError';

  constructor(
    /** Name of the template: its source file, or "contents" for inline text. */
    readonly templateName: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${templateName}:${line}: ${problem}`);
  }
}

export type TokenKind =
  | 'text'
  | 'open'
  | 'close'
  | 'identifier'
  | 'field'
  | 'variable'
  | 'dot'
  | 'string'
  | 'number'
  | 'declare'
  | 'assign'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'end';

export interface Token {
  kind: TokenKind;
  /** Text, string value, identifier, or for a field or variable its name. */
  value: string;
  /** Names after a variable or a closing parenthesis, as in `$x.Data.key`. */
  fields?: string[];
  line: number;
}

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The strings around actions: `{{` and `}}` unless a template sets left_delimiter and right_delimiter. */
export interface Delimiters {
  left: string;
  right: string;
}

export const defaultDelimiters: Delimiters = { left: '{{', right: '}}' };

/** Splits template source into tokens, ending with one `end` token. */
export function tokenizeTemplate(name: string, source: string, delimiters: Delimiters = defaultDelimiters): Token[] {
  const { left, right } = delimiters;
  const tokens: Token[] = [];
  let offset = 0;
  let line = 1;
  let trimNextText = false;

  const lineAt = (end: number): number => {
    for (let index = offset; index < end; index += 1) if (source[index] === '\n') line += 1;
    return line;
  };

  while (offset < source.length) {
    const open = source.indexOf(left, offset);
    const textEnd = open === -1 ? source.length : open;
    const trimBefore = open !== -1 && source.startsWith('-', open + left.length) && /[ \t\r\n]/.test(source[open + left.length + 1] ?? '');
    let text = source.slice(offset, textEnd);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, '');
    if (trimBefore) text = text.replace(/[ \t\r\n]+$/, '');
    if (text !== '') tokens.push({ kind: 'text', value: text, line });
    lineAt(textEnd);
    offset = textEnd;
    if (open === -1) break;

    const actionLine = line;
    const start = open + left.length + (trimBefore ? 1 : 0);
    const close = findClose(name, source, start, actionLine, delimiters);
    const trimAfter = source[close] === '-';
    const body = source.slice(start, close);
    const trimmedInner = body.trim();

    if (trimmedInner.startsWith('/*')) {
      if (!trimmedInner.endsWith('*/')) throw new TemplateError(name, actionLine, `unclosed comment: a comment is written ${left}/* ... */${right}`);
    } else {
      tokens.push({ kind: 'open', value: left, line: actionLine });
      tokenizeAction(name, body, actionLine, tokens);
      tokens.push({ kind: 'close', value: right, line: actionLine });
    }
    const afterClose = close + right.length + (trimAfter ? 1 : 0);
    lineAt(afterClose);
    offset = afterClose;
    trimNextText = trimAfter;
  }
  tokens.push({ kind: 'end', value: '', line });
  return tokens;
}

/**
 * Finds the offset of the right delimiter (or the `-` of ` -}}`) that closes
 * the action starting at `start`, skipping quoted strings.
 */
function findClose(name: string, source: string, start: number, line: number, { left, right }: Delimiters): number {
  let index = start;
  while (index < source.length) {
    const char = source[index];
    if (char === '"' || char === '`') {
      const end = stringEnd(source, index);
      if (end === -1) throw new TemplateError(name, line, 'unterminated quoted string in action');
      index = end;
      continue;
    }
    if (char === '-' && source.startsWith(right, index + 1) && /[ \t\r\n]/.test(source[index - 1] ?? '')) return index;
    if (source.startsWith(right, index)) return index;
    index += 1;
  }
  throw new TemplateError(name, line, `unclosed action: add "${right}" to close the "${left}" on this line`);
}

/** Returns the offset after the string that starts at `start`, or -1 when it is not closed. */
function stringEnd(source: string, start: number): number {
  const quote = source[start];
  let index = start + 1;
  while (index < source.length) {
    const char = source[index];
    if (quote === '"' && char === '\\') index += 2;
    else if (char === quote) return index + 1;
    else if (quote === '"' && char === '\n') return -1;
    else index += 1;
  }
  return -1;
}

function tokenizeAction(name: string, text: string, line: number, tokens: Token[]): void {
  let index = 0;
  let currentLine = line;
  const push = (kind: TokenKind, value: string, fields?: string[]): void => {
    tokens.push(fields === undefined ? { kind, value, line: currentLine } : { kind, value, fields, line: currentLine });
  };
  /** Reads `.a.b` right after a variable or `)`, as Go allows `$x.a` and `(pipeline).a`. */
  const readFieldChain = (): string[] => {
    const names: string[] = [];
    while (text[index] === '.') {
      const match = identifierPattern.exec(text.slice(index + 1));
      if (match === null) break;
      names.push(match[0]);
      index += 1 + match[0].length;
    }
    return names;
  };

  while (index < text.length) {
    const char = text[index];
    const rest = text.slice(index);
    if (char === '\n') {
      currentLine += 1;
      index += 1;
    } else if (char === ' ' || char === '\t' || char === '\r') {
      index += 1;
    } else if (char === '"' || char === '`') {
      const end = stringEnd(text, index);
      push('string', decodeString(name, text.slice(index, end), currentLine));
      index = end;
    } else if (rest.startsWith(':=')) {
      push('declare', ':=');
      index += 2;
    } else if (char === '=') {
      push('assign', '=');
      index += 1;
    } else if (char === '|') {
      push('pipe', '|');
      index += 1;
    } else if (char === '(') {
      push('lparen', '(');
      index += 1;
    } else if (char === ')') {
      index += 1;
      push('rparen', ')', readFieldChain());
    } else if (char === ',') {
      push('comma', ',');
      index += 1;
    } else if (char === '$') {
      const match = /^\$[A-Za-z0-9_]*/.exec(rest)!;
      index += match[0].length;
      push('variable', match[0], readFieldChain());
    } else if (char === '.') {
      const names = readFieldChain();
      if (names.length === 0) {
        push('dot', '.');
        index += 1;
      } else {
        push('field', names.join('.'), names);
      }
    } else if (/[-+0-9]/.test(char)) {
      const match = /^[-+]?(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)/.exec(rest);
      if (match === null) throw new TemplateError(name, currentLine, `unexpected "${char}" in action`);
      push('number', match[0]);
      index += match[0].length;
    } else {
      const match = identifierPattern.exec(rest);
      if (match === null) throw new TemplateError(name, currentLine, `unexpected "${char}" in action`);
      push('identifier', match[0]);
      index += match[0].length;
    }
  }
}

/** Decodes a Go string literal: "..." with escapes, or `...` taken as written. */
function decodeString(name: string, literal: string, line: number): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  try {
    // Go's escapes that JSON lacks: \a \v \' and \x.
    const jsonText = literal
      .replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')
      .replace(/\\a/g, '\\u0007')
      .replace(/\\v/g, '\\u000b')
      .replace(/\\'/g, "'");
    return JSON.parse(jsonText) as string;
  } catch {
    throw new TemplateError(name, line, `invalid quoted string ${literal}`);
  }
}
