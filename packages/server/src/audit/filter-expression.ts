/**
 * Predicate expressions for the audit `filter` option and the conditions of
 * the `exclude` option: the subset of go-bexpr syntax that Vault documents
 * for audit filtering (Vault Enterprise 1.16+).
 *
 * Grammar, lowest precedence first:
 *
 *   expression := term ("or" term)*
 *   term       := factor ("and" factor)*
 *   factor     := "not" factor | "(" expression ")" | match
 *   match      := selector ("==" | "!=") value
 *               | selector ["not"] ("matches" | "contains") value
 *               | selector "is" ["not"] "empty"
 *               | value ["not"] "in" selector
 *
 * A value is a double-quoted string with backslash escapes, a backquoted raw
 * string, or a bare word. `in` and `contains` test for a substring, as
 * go-bexpr does on a string selector.
 */

/** Fields of an audit entry that an expression can select. */
export interface AuditFilterFields {
  /** Mount point with a trailing `/`, e.g. `secret/`, or empty for a request outside any mount. */
  mount_point: string;
  mount_type: string;
  /** Namespace path, which is empty for the root namespace, the only one Coffer has. */
  namespace: string;
  operation: string;
  /** Request path below `/v1/`. */
  path: string;
}

/** A compiled expression: true when an entry with these fields matches. */
export type AuditFilter = (fields: AuditFilterFields) => boolean;

export const FILTER_SELECTORS: readonly (keyof AuditFilterFields)[] = ['mount_point', 'mount_type', 'namespace', 'operation', 'path'];

/** Raised for an expression that does not parse or names an unknown selector. */
export class FilterExpressionError extends Error {}

type TokenKind = 'word' | 'string' | '(' | ')' | '==' | '!=' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the token's first character in the expression. */
  offset: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'matches', 'contains', 'is', 'empty']);

/**
 * Parses and compiles an expression.
 * @throws FilterExpressionError naming the problem and its offset.
 */
export function parseFilterExpression(text: string): AuditFilter {
  if (text.trim() === '') throw new FilterExpressionError('the expression is empty');
  const parser = new Parser(tokenize(text));
  const filter = parser.expression();
  parser.expectEnd();
  return filter;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: char, text: char, offset: index });
      index += 1;
    } else if (text.startsWith('==', index) || text.startsWith('!=', index)) {
      tokens.push({ kind: text.slice(index, index + 2) as '==' | '!=', text: text.slice(index, index + 2), offset: index });
      index += 2;
    } else if (char === '"') {
      const { value, end } = readQuoted(text, index);
      tokens.push({ kind: 'string', text: value, offset: index });
      index = end;
    } else if (char === '`') {
      const end = text.indexOf('`', index + 1);
      if (end === -1) throw new FilterExpressionError(`unterminated string starting at offset ${index}`);
      tokens.push({ kind: 'string', text: text.slice(index + 1, end), offset: index });
      index = end + 1;
    } else {
      const match = /^[^\s()"`=!]+/.exec(text.slice(index));
      if (match === null) throw new FilterExpressionError(`unexpected character "${char}" at offset ${index}`);
      tokens.push({ kind: 'word', text: match[0], offset: index });
      index += match[0].length;
    }
  }
  tokens.push({ kind: 'end', text: '', offset: text.length });
  return tokens;
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };

/** Reads a double-quoted string starting at `start` and returns its value and the offset after the closing quote. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') return { value, end: index + 1 };
    if (char === '\\') {
      const escaped = ESCAPES[text[index + 1]];
      if (escaped === undefined) throw new FilterExpressionError(`invalid escape "\\${text[index + 1] ?? ''}" at offset ${index}`);
      value += escaped;
      index += 2;
    } else {
      value += char;
      index += 1;
    }
  }
  throw new FilterExpressionError(`unterminated string starting at offset ${start}`);
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  expression(): AuditFilter {
    let left = this.term();
    while (this.acceptKeyword('or')) {
      const first = left;
      const second = this.term();
      left = (fields) => first(fields) || second(fields);
    }
    return left;
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') throw this.unexpected(token, '"and", "or" or the end of the expression');
  }

  private term(): AuditFilter {
    let left = this.factor();
    while (this.acceptKeyword('and')) {
      const first = left;
      const second = this.factor();
      left = (fields) => first(fields) && second(fields);
    }
    return left;
  }

  private factor(): AuditFilter {
    if (this.acceptKeyword('not')) {
      const inner = this.factor();
      return (fields) => !inner(fields);
    }
    if (this.peek().kind === '(') {
      this.position += 1;
      const inner = this.expression();
      const close = this.next();
      if (close.kind !== ')') throw this.unexpected(close, '")"');
      return inner;
    }
    return this.match();
  }

  private match(): AuditFilter {
    const first = this.next();
    if (first.kind !== 'word' && first.kind !== 'string') throw this.unexpected(first, 'a selector, a value, "not" or "("');

    // `value in selector` and `value not in selector` put the value first.
    const negated = this.peekKeyword('not') && this.peekKeyword('in', 1);
    if (negated || this.peekKeyword('in')) {
      this.position += negated ? 2 : 1;
      const selector = this.selector(this.next());
      const value = first.text;
      return (fields) => fields[selector].includes(value) !== negated;
    }

    const selector = this.selector(first);
    const operator = this.next();
    if (operator.kind === '==' || operator.kind === '!=') {
      const value = this.value();
      const equal = operator.kind === '==';
      return (fields) => (fields[selector] === value) === equal;
    }
    if (operator.kind === 'word' && operator.text === 'is') {
      const not = this.acceptKeyword('not');
      const empty = this.next();
      if (empty.kind !== 'word' || empty.text !== 'empty') throw this.unexpected(empty, '"empty"');
      return (fields) => (fields[selector] === '') !== not;
    }
    const not = operator.kind === 'word' && operator.text === 'not';
    const verb = not ? this.next() : operator;
    if (verb.kind === 'word' && verb.text === 'matches') return this.regexMatch(selector, not);
    if (verb.kind === 'word' && verb.text === 'contains') {
      const value = this.value();
      return (fields) => fields[selector].includes(value) !== not;
    }
    throw this.unexpected(verb, not ? '"matches" or "contains"' : '"==", "!=", "matches", "not matches", "contains", "not contains" or "is"');
  }

  private regexMatch(selector: keyof AuditFilterFields, not: boolean): AuditFilter {
    const valueToken = this.peek();
    const pattern = this.value();
    let regex: RegExp;
    try {
      // NOTE: JavaScript regular expressions, not Go's RE2, so a few patterns
      // (lookbehind, backreferences) are accepted here that Vault rejects.
      regex = new RegExp(pattern);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new FilterExpressionError(`invalid regular expression "${pattern}" at offset ${valueToken.offset}: ${reason}`);
    }
    return (fields) => regex.test(fields[selector]) !== not;
  }

  private selector(token: Token): keyof AuditFilterFields {
    if (token.kind !== 'word' || KEYWORDS.has(token.text)) throw this.unexpected(token, 'a selector');
    const name = token.text as keyof AuditFilterFields;
    if (!FILTER_SELECTORS.includes(name)) {
      throw new FilterExpressionError(`unknown selector "${token.text}" at offset ${token.offset}: use one of ${FILTER_SELECTORS.join(', ')}`);
    }
    return name;
  }

  private value(): string {
    const token = this.next();
    if (token.kind === 'string' || (token.kind === 'word' && !KEYWORDS.has(token.text))) return token.text;
    throw this.unexpected(token, 'a value');
  }

  private acceptKeyword(keyword: string): boolean {
    if (!this.peekKeyword(keyword)) return false;
    this.position += 1;
    return true;
  }

  private peekKeyword(keyword: string, ahead = 0): boolean {
    const token = this.tokens[this.position + ahead];
    return token !== undefined && token.kind === 'word' && token.text === keyword;
  }

  private peek(): Token {
    return this.tokens[this.position];
  }

  private next(): Token {
    const token = this.tokens[this.position];
    if (token.kind !== 'end') this.position += 1;
    return token;
  }

  private unexpected(token: Token, expected: string): FilterExpressionError {
    const found = token.kind === 'end' ? 'end of expression' : `"${token.text}"`;
    return new FilterExpressionError(`unexpected ${found} at offset ${token.offset}: expected ${expected}`);
  }
}
