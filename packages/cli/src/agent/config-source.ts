// Reads an agent config file, HCL or JSON, into plain values, so that one
// reader in config.ts checks both formats. Blocks become arrays of objects and
// block labels become nested object keys, the shape Vault's HCL 1 decoder gives:
// `method "approle" { ... }` reads as `method: [{ approle: { ... } }]`.
import { HclSyntaxError } from '../hcl/lexer.js';
import type { Body, Value } from '../hcl/parser.js';
import { parseHcl } from '../hcl/parser.js';

/** A plain config value: what JSON.parse returns, with HCL blocks as arrays of objects. */
export type PlainValue = string | number | boolean | null | PlainValue[] | PlainObject;
export interface PlainObject {
  [key: string]: PlainValue;
}

/** A config file that cannot be read or parsed, or a setting in it that is invalid. */
export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
}

/**
 * Parses a config file's text. A name ending in `.json` is read as JSON, any
 * other as HCL, as the server's config loader decides.
 *
 * @throws AgentConfigError naming the file, and for HCL the line and column, of a syntax error.
 */
export function parseConfigText(file: string, text: string): PlainObject {
  if (file.endsWith('.json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new AgentConfigError(`${file}: invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AgentConfigError(`${file}: invalid JSON: the top level must be an object`);
    }
    return parsed as PlainObject;
  }

  let body: Body;
  try {
    body = parseHcl(text);
  } catch (error) {
    if (error instanceof HclSyntaxError) throw new AgentConfigError(`${file}:${error.line}:${error.column}: ${error.problem}`);
    throw error;
  }
  return bodyToObject(body);
}

/** Converts a block or object body; a key that repeats, or a block, collects its values in an array. */
function bodyToObject(body: Body): PlainObject {
  const result: PlainObject = {};
  const add = (key: string, value: PlainValue, repeatable: boolean): void => {
    const existing = result[key];
    if (existing === undefined) result[key] = repeatable ? [value] : value;
    else if (Array.isArray(existing)) existing.push(value);
    else result[key] = [existing, value];
  };

  for (const item of body.items) {
    if (item.kind === 'attribute') {
      add(unquote(item.key), literalValue(item.value), false);
      continue;
    }
    // Labels nest: `a "x" "y" { b = 1 }` becomes a: [{ x: { y: { b: 1 } } }].
    let value: PlainValue = bodyToObject(item.body);
    for (const label of [...item.labels].reverse()) value = { [unquote(label)]: value };
    add(unquote(item.type), value, true);
  }
  return result;
}

function literalValue(value: Value): PlainValue {
  if (value.kind === 'list') return value.elements.map((element) => literalValue(element.value));
  if (value.kind === 'object') return bodyToObject(value.body);

  const text = value.text;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (text.startsWith('"')) return unquote(text);
  if (text.startsWith('<<')) return heredocText(text);
  // HCL 1, which Vault's configs use, reads a number with a leading zero as octal, so `mode = 0640` is rw-r-----.
  if (/^0[0-7]+$/.test(text)) return Number.parseInt(text, 8);
  return Number(text);
}

/** Removes the quotes of an HCL string and decodes its escapes. A bare identifier is returned as it is. */
function unquote(text: string): string {
  if (!text.startsWith('"')) return text;
  const inner = text.slice(1, -1);
  return inner.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{/g, (match, escape: string | undefined) => {
    if (match === '$${') return '${';
    if (match === '%%{') return '%{';
    switch (escape![0]) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u':
      case 'U':
        return String.fromCodePoint(Number.parseInt(escape!.slice(1), 16));
      default:
        return escape!;
    }
  });
}

/** Returns the text of a heredoc without its marker lines. `<<-` also removes the indentation its lines share. */
function heredocText(text: string): string {
  const lines = text.split(/\r?\n/);
  const indented = lines[0].startsWith('<<-');
  const content = lines.slice(1, -1);
  if (!indented) return content.map((line) => `${line}\n`).join('');

  const indents = content.filter((line) => line.trim() !== '').map((line) => /^[ \t]*/.exec(line)![0].length);
  const shared = indents.length === 0 ? 0 : Math.min(...indents);
  return content.map((line) => `${line.slice(shared)}\n`).join('');
}
