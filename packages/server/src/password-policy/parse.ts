/**
 * Parsing password policy documents, HCL or JSON, into a length and
 * charset rules, with the checks Vault makes before it stores a policy.
 * The syntax is Vault's (docs/concepts/password-policies):
 *
 *   length = 20
 *   rule "charset" {
 *     charset   = "abcdefghijklmnopqrstuvwxyz"
 *     min-chars = 1
 *   }
 *
 * NOTE: Vault parses these documents with HCL 1 and ignores unknown keys.
 * Coffer parses HCL with HCL 2 (@cdktf/hcl2json) and rejects unknown keys,
 * because a misspelt `min-chars` would silently drop a requirement.
 */
import { badRequest, isPlainObject, type CofferError } from '@coffer/sdk';
import { findJsonSyntaxError } from '../config/json-syntax.js';
import { closestName } from '../config/suggest.js';
import { parseHclDocument } from '../hcl.js';

/** Bounds of `length`, as Vault's sys/policies/password enforces them. */
export const MIN_PASSWORD_LENGTH = 4;
export const MAX_PASSWORD_LENGTH = 100;

/** The maximum number of distinct characters a policy may draw from, so that one random byte selects one character. */
export const MAX_CHARSET_SIZE = 256;

/** One `rule "charset"` block. */
export interface CharsetRule {
  /** The distinct characters of `charset`, as Unicode code points in string form. */
  readonly characters: ReadonlySet<string>;
  /** How many characters of the password must come from this charset; 0 for none. */
  readonly minChars: number;
}

/** A parsed, checked password policy. Treat it as immutable: the store caches and shares it. */
export interface PasswordPolicy {
  readonly length: number;
  readonly rules: readonly CharsetRule[];
  /** The de-duplicated union of every rule's charset, sorted by code point; passwords draw from it. */
  readonly charset: readonly string[];
}


const TOP_LEVEL_KEYS = ['length', 'rule'];
const RULE_TYPES = ['charset'];
const CHARSET_KEYS = ['charset', 'min-chars'];

/** Unicode's printable characters as Go's unicode.IsPrint defines them: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const LONE_SURROGATE = /^[\uD800-\uDFFF]$/;

function invalid(problem: string): CofferError {
  return badRequest(`invalid password policy: ${problem}`);
}

/**
 * Parses and checks a password policy document. A document whose first
 * non-blank character is `{` is JSON, as in Vault.
 * @throws CofferError (400) `invalid password policy: ...` naming the key
 *   and the problem.
 */
export async function parsePasswordPolicy(text: string): Promise<PasswordPolicy> {
  const document = text.trimStart().startsWith('{') ? parseJson(text) : await parseHcl(text);
  if (!isPlainObject(document)) throw invalid('the document must be an object with "length" and "rule" blocks');

  for (const key of Object.keys(document)) {
    if (TOP_LEVEL_KEYS.includes(key)) continue;
    throw invalid(`unknown key "${key}"${suggestion(key, TOP_LEVEL_KEYS)}`);
  }

  const length = parseLength(document.length);
  const rules = ruleBlocks(document.rule).map((block, index) => parseCharsetRule(block, index + 1));
  return checkPolicy(length, rules);
}

function parseJson(text: string): unknown {
  const syntaxError = findJsonSyntaxError(text);
  if (syntaxError !== undefined) throw invalid(`invalid JSON at offset ${syntaxError.offset}: ${syntaxError.detail}`);
  return JSON.parse(text);
}

async function parseHcl(text: string): Promise<unknown> {
  const parsed = await parseHclDocument('password-policy.hcl', text);
  if ('document' in parsed) return parsed.document;
  const { detail, line, column } = parsed.error;
  throw invalid(line === undefined ? detail : `at line ${line}, column ${column}: ${detail}`);
}

function suggestion(key: string, known: readonly string[]): string {
  const closest = closestName(key, known);
  return closest === undefined ? `; the known keys are ${known.map((name) => `"${name}"`).join(', ')}` : `; did you mean "${closest}"?`;
}

function parseLength(value: unknown): number {
  if (value === undefined) throw invalid(`missing "length": set it to the number of characters, from ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}`);
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(`"length" must be a whole number, got ${JSON.stringify(value)}`);
  if (value < MIN_PASSWORD_LENGTH || value > MAX_PASSWORD_LENGTH) {
    throw invalid(`"length" is ${value}, but passwords must be between ${MIN_PASSWORD_LENGTH} and ${MAX_PASSWORD_LENGTH} characters`);
  }
  return value;
}

/**
 * Lists the charset blocks. HCL arrives from hcl2json as
 * `{"charset": [body, ...]}`; JSON may also use a list of such objects or a
 * single body in place of the list, the shapes HCL 1 accepts.
 */
function ruleBlocks(value: unknown): unknown[] {
  if (value === undefined) return [];
  const blocks: unknown[] = [];
  for (const group of Array.isArray(value) ? value : [value]) {
    if (!isPlainObject(group)) throw invalid('"rule" must be a block such as rule "charset" { charset = "abc" }');
    for (const [type, bodies] of Object.entries(group)) {
      if (!RULE_TYPES.includes(type)) throw invalid(`unknown rule type "${type}"; the only rule type is "charset"`);
      blocks.push(...(Array.isArray(bodies) ? bodies : [bodies]));
    }
  }
  return blocks;
}

function parseCharsetRule(body: unknown, position: number): CharsetRule {
  const where = `rule "charset" #${position}`;
  if (!isPlainObject(body)) throw invalid(`${where} must be a block such as rule "charset" { charset = "abc" }`);
  for (const key of Object.keys(body)) {
    if (!CHARSET_KEYS.includes(key)) throw invalid(`unknown key "${key}" in ${where}${suggestion(key, CHARSET_KEYS)}`);
  }

  const charset = body.charset;
  if (charset === undefined) throw invalid(`${where} is missing "charset"`);
  if (typeof charset !== 'string') throw invalid(`"charset" of ${where} must be a string, got ${JSON.stringify(charset)}`);
  if (charset === '') throw invalid(`"charset" of ${where} must not be empty`);
  const characters = new Set<string>();
  for (const character of charset) {
    if (LONE_SURROGATE.test(character)) throw invalid(`"charset" of ${where} must be well-formed Unicode`);
    if (!PRINTABLE.test(character)) {
      const codePoint = character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      throw invalid(`"charset" of ${where} contains the non-printable character U+${codePoint}`);
    }
    characters.add(character);
  }

  const minChars = body['min-chars'] ?? 0;
  if (typeof minChars !== 'number' || !Number.isInteger(minChars) || minChars < 0) {
    throw invalid(`"min-chars" of ${where} must be a whole number of at least 0, got ${JSON.stringify(minChars)}`);
  }
  return { characters, minChars };
}

function checkPolicy(length: number, rules: CharsetRule[]): PasswordPolicy {
  if (rules.length === 0) throw invalid('no charset specified: add at least one rule "charset" block');

  const required = rules.reduce((sum, rule) => sum + rule.minChars, 0);
  if (required > length) {
    throw invalid(`the rules require at least ${required} characters (the sum of "min-chars"), but "length" is ${length}`);
  }

  const union = new Set<string>();
  for (const rule of rules) for (const character of rule.characters) union.add(character);
  if (union.size > MAX_CHARSET_SIZE) {
    throw invalid(`the rules' charsets have ${union.size} distinct characters together, but at most ${MAX_CHARSET_SIZE} are allowed`);
  }
  const charset = [...union].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  return { length, rules, charset };
}
