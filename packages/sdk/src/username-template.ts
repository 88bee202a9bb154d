/**
 * Username templates, as Vault's database plugins take them in the
 * `username_template` connection setting: a Go template over
 * `.DisplayName` and `.RoleName` with helper functions.
 *
 * Supported: literal text; actions `{{ ... }}` holding a pipeline of
 * commands separated by `|`, where the previous result becomes the last
 * argument; parenthesized sub-pipelines; string and integer literals; and
 * the functions `random N`, `truncate N S`, `truncate_sha256 N S`,
 * `uppercase S`, `lowercase S`, `replace OLD NEW S`, `sha256 S`,
 * `base64 S`, `unix_time`, `unix_time_millis`, `timestamp LAYOUT`, `uuid`
 * and `printf FORMAT ARGS...` with `%s`, `%d`, `%v` and `%%`. Neither one
 * function nor the whole template produces more than
 * {@link MAX_TEMPLATE_VALUE_LENGTH} characters.
 * NOTE: `timestamp` takes only Go's layout "2006-01-02T15:04:05Z07:00"
 * style tokens 2006, 01, 02, 15, 04 and 05.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { UsernameMetadata } from './database.js';

/** The values a template reads as `.DisplayName` and `.RoleName`. */
export type UsernameTemplateValues = UsernameMetadata;

type Value = string | number;
type Token = { kind: 'ident' | 'field' | 'string' | 'number' | 'pipe' | 'open' | 'close'; text: string };

const RANDOM_CHARACTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * Maximum length, in characters, of the string one function returns. It is far
 * above the username limits of databases, such as PostgreSQL's 63 bytes, and
 * stops a template such as `random 100000000` from blocking the event loop
 * for seconds and filling memory while it renders.
 */
export const MAX_TEMPLATE_VALUE_LENGTH = 4096;

/** A template that failed to parse or run; the message names the problem. */
export class UsernameTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsernameTemplateError';
  }
}

/**
 * Renders a username template.
 * @throws UsernameTemplateError naming the unknown function, field or syntax error.
 */
export function renderUsernameTemplate(template: string, values: UsernameTemplateValues): string {
  let output = '';
  let position = 0;
  while (position < template.length) {
    const start = template.indexOf('{{', position);
    if (start === -1) {
      output += template.slice(position);
      break;
    }
    output += template.slice(position, start);
    const end = template.indexOf('}}', start + 2);
    if (end === -1) throw new UsernameTemplateError(`unclosed action at offset ${start}: add "}}"`);
    const tokens = tokenize(template.slice(start + 2, end));
    const parser = { tokens, index: 0 };
    output += String(evaluatePipeline(parser, values));
    if (parser.index !== tokens.length) throw new UsernameTemplateError(`unexpected "${tokens[parser.index].text}" in action at offset ${start}`);
    // Each action is capped, but thousands of them would still take seconds to render.
    checkOutputLength(output.length);
    position = end + 2;
  }
  checkOutputLength(output.length);
  return output;
}

/** @throws UsernameTemplateError when the rendered text passes {@link MAX_TEMPLATE_VALUE_LENGTH} characters. */
function checkOutputLength(length: number): void {
  if (length > MAX_TEMPLATE_VALUE_LENGTH) {
    throw new UsernameTemplateError(`the template produces more than ${MAX_TEMPLATE_VALUE_LENGTH} characters`);
  }
}

/**
 * Checks that a template parses and runs, with sample values.
 * @throws UsernameTemplateError as {@link renderUsernameTemplate} does.
 */
export function checkUsernameTemplate(template: string): void {
  renderUsernameTemplate(template, { displayName: 'display', roleName: 'role' });
}

function tokenize(action: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\|)|(\()|(\))|"((?:[^"\\]|\\.)*)"|(-?\d+)|\.(\w+)|([A-Za-z_]\w*))/y;
  let position = 0;
  while (position < action.length) {
    if (action.slice(position).trim() === '') break;
    pattern.lastIndex = position;
    const match = pattern.exec(action);
    if (match === null) throw new UsernameTemplateError(`invalid syntax near "${action.slice(position).trim()}"`);
    position = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'pipe', text: '|' });
    else if (match[2] !== undefined) tokens.push({ kind: 'open', text: '(' });
    else if (match[3] !== undefined) tokens.push({ kind: 'close', text: ')' });
    else if (match[4] !== undefined) tokens.push({ kind: 'string', text: JSON.parse(`"${match[4]}"`) as string });
    else if (match[5] !== undefined) tokens.push({ kind: 'number', text: match[5] });
    else if (match[6] !== undefined) tokens.push({ kind: 'field', text: match[6] });
    else tokens.push({ kind: 'ident', text: match[7] });
  }
  return tokens;
}

interface Parser {
  tokens: Token[];
  index: number;
}

function evaluatePipeline(parser: Parser, values: UsernameTemplateValues): Value {
  let result = evaluateCommand(parser, values, undefined);
  while (parser.tokens[parser.index]?.kind === 'pipe') {
    parser.index += 1;
    result = evaluateCommand(parser, values, result);
  }
  return result;
}

/** Evaluates one command; `piped` is the previous command's result, passed as the last argument. */
function evaluateCommand(parser: Parser, values: UsernameTemplateValues, piped: Value | undefined): Value {
  const first = parser.tokens[parser.index];
  if (first === undefined) throw new UsernameTemplateError('empty command in action');
  if (first.kind !== 'ident') {
    const operand = evaluateOperand(parser, values);
    if (piped !== undefined) throw new UsernameTemplateError(`cannot pipe a value into "${first.text}", which is not a function`);
    return operand;
  }
  parser.index += 1;
  const args: Value[] = [];
  while (parser.index < parser.tokens.length) {
    const kind = parser.tokens[parser.index].kind;
    if (kind === 'pipe' || kind === 'close') break;
    args.push(evaluateOperand(parser, values));
  }
  if (piped !== undefined) args.push(piped);
  return callFunction(first.text, args);
}

function evaluateOperand(parser: Parser, values: UsernameTemplateValues): Value {
  const token = parser.tokens[parser.index];
  parser.index += 1;
  switch (token.kind) {
    case 'string':
      return token.text;
    case 'number':
      return Number(token.text);
    case 'field': {
      if (token.text !== 'DisplayName' && token.text !== 'RoleName') {
        throw new UsernameTemplateError(`unknown field ".${token.text}": use .DisplayName or .RoleName`);
      }
      return token.text === 'DisplayName' ? values.displayName : values.roleName;
    }
    case 'open': {
      const result = evaluatePipeline(parser, values);
      if (parser.tokens[parser.index]?.kind !== 'close') throw new UsernameTemplateError('missing ")"');
      parser.index += 1;
      return result;
    }
    case 'ident':
      return callFunction(token.text, []);
    default:
      throw new UsernameTemplateError(`unexpected "${token.text}"`);
  }
}

function callFunction(name: string, args: Value[]): Value {
  const value = runFunction(name, args);
  if (typeof value === 'string') checkValueLength(name, value.length);
  return value;
}

/** @throws UsernameTemplateError when function `name` would return more than {@link MAX_TEMPLATE_VALUE_LENGTH} characters. */
function checkValueLength(name: string, length: number): void {
  if (length > MAX_TEMPLATE_VALUE_LENGTH) {
    throw new UsernameTemplateError(`function "${name}" would produce ${length} characters, over the limit of ${MAX_TEMPLATE_VALUE_LENGTH}`);
  }
}

function runFunction(name: string, args: Value[]): Value {
  const arity = (count: number): void => {
    if (args.length !== count) throw new UsernameTemplateError(`function "${name}" takes ${count} argument(s), got ${args.length}`);
  };
  const integer = (value: Value): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new UsernameTemplateError(`function "${name}" expects a non-negative integer, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  switch (name) {
    case 'random': {
      arity(1);
      const length = integer(args[0]);
      // Checked before generating, since generating is what takes the time.
      checkValueLength(name, length);
      let text = '';
      for (let index = 0; index < length; index++) text += RANDOM_CHARACTERS[randomInt(RANDOM_CHARACTERS.length)];
      return text;
    }
    case 'truncate':
      arity(2);
      return String(args[1]).slice(0, integer(args[0]));
    case 'truncate_sha256': {
      arity(2);
      const limit = integer(args[0]);
      const text = String(args[1]);
      if (text.length <= limit) return text;
      const hash = createHash('sha256').update(text).digest('hex');
      if (limit < 8) throw new UsernameTemplateError('function "truncate_sha256" needs a length of at least 8');
      return text.slice(0, limit - 8) + hash.slice(0, 8);
    }
    case 'uppercase':
      arity(1);
      return String(args[0]).toUpperCase();
    case 'lowercase':
      arity(1);
      return String(args[0]).toLowerCase();
    case 'replace': {
      arity(3);
      const [old, replacement] = [String(args[0]), String(args[1])];
      const parts = String(args[2]).split(old);
      // An empty OLD inserts NEW between every character, so nested calls grow the text geometrically.
      const length = parts.reduce((total, part) => total + part.length, 0) + (parts.length - 1) * replacement.length;
      checkValueLength(name, length);
      return parts.join(replacement);
    }
    case 'sha256':
      arity(1);
      return createHash('sha256').update(String(args[0])).digest('hex');
    case 'base64':
      arity(1);
      return Buffer.from(String(args[0])).toString('base64');
    case 'unix_time':
      arity(0);
      return Math.floor(Date.now() / 1000);
    case 'unix_time_millis':
      arity(0);
      return Date.now();
    case 'timestamp':
      arity(1);
      return formatTimestamp(String(args[0]), new Date());
    case 'uuid':
      arity(0);
      return randomUUID();
    case 'printf':
      if (args.length === 0) throw new UsernameTemplateError('function "printf" needs a format');
      return formatPrintf(String(args[0]), args.slice(1));
    default:
      throw new UsernameTemplateError(`unknown function "${name}"`);
  }
}

function formatPrintf(format: string, args: Value[]): string {
  let next = 0;
  return format.replace(/%([sdv%])/g, (_directive, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) throw new UsernameTemplateError(`printf format "${format}" has more verbs than arguments`);
    const value = args[next++];
    if (verb === 'd' && typeof value !== 'number') throw new UsernameTemplateError(`printf verb %d expects an integer, got ${JSON.stringify(value)}`);
    return String(value);
  });
}

function formatTimestamp(layout: string, time: Date): string {
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  const parts: Record<string, string> = {
    '2006': pad(time.getUTCFullYear(), 4),
    '01': pad(time.getUTCMonth() + 1),
    '02': pad(time.getUTCDate()),
    '15': pad(time.getUTCHours()),
    '04': pad(time.getUTCMinutes()),
    '05': pad(time.getUTCSeconds()),
  };
  return layout.replace(/2006|01|02|15|04|05/g, (token) => parts[token]);
}

/** Lowercase and uppercase letters, digits and "-", Vault's default password character set. */
const PASSWORD_CHARACTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-';
const PASSWORD_RULES = [/[a-z]/, /[A-Z]/, /[0-9]/, /-/];

/**
 * Generates a database password as Vault's default policy does: 20
 * characters from letters, digits and "-", with at least one lowercase
 * letter, one uppercase letter, one digit and one "-". Uses the CSPRNG.
 * @param length - At least 4, so every rule can hold.
 */
export function generatePassword(length = 20): string {
  if (!Number.isInteger(length) || length < PASSWORD_RULES.length) throw new Error(`password length must be an integer of at least ${PASSWORD_RULES.length}, not ${length}`);
  for (;;) {
    let password = '';
    for (let index = 0; index < length; index++) password += PASSWORD_CHARACTERS[randomInt(PASSWORD_CHARACTERS.length)];
    if (PASSWORD_RULES.every((rule) => rule.test(password))) return password;
  }
}
