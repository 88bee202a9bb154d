/** Reading one config file and parsing it as HCL or JSON. */
import { readFile } from 'node:fs/promises';
import { ConfigError } from './errors.js';
import { findJsonSyntaxError } from './json-syntax.js';
import { ConfigSource, type ConfigFormat } from './source.js';

/**
 * The part of @cdktf/hcl2json used here. Its own typings reference the DOM
 * library, which would then apply to the whole server package, so the module
 * is imported by a name TypeScript does not resolve.
 */
interface Hcl2Json {
  parse(filename: string, contents: string): Promise<unknown>;
}
const HCL2JSON_MODULE: string = '@cdktf/hcl2json';

export interface ParsedFile {
  source: ConfigSource;
  /** The file's contents as hcl2json or JSON.parse returned them. */
  body: unknown;
}

/**
 * Reads and parses one config file. A `.json` file is JSON. Any other file,
 * `.hcl` included, is HCL unless its first non-blank character is `{`, as in
 * the HCL 1 parser Vault uses (hashicorp/hcl v1, lex.go). HCL cannot start
 * with `{`, so no HCL file is misread.
 * @throws ConfigError when the file cannot be read or has a syntax error.
 */
export async function parseConfigFile(file: string): Promise<ParsedFile> {
  const text = stripByteOrderMark(await readText(file));
  const format = detectFormat(file, text);
  const source = new ConfigSource(file, text, format);
  const body = format === 'json' ? parseJson(source) : await parseHcl(source);
  return { source, body };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(error)})`;
    throw new ConfigError(`${reason}. Check the -config path.`, { file });
  }
}

function stripByteOrderMark(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

function detectFormat(file: string, text: string): ConfigFormat {
  if (file.toLowerCase().endsWith('.json')) return 'json';
  return text.trimStart().startsWith('{') ? 'json' : 'hcl';
}

function parseJson(source: ConfigSource): unknown {
  const syntaxError = findJsonSyntaxError(source.text);
  if (syntaxError !== undefined) {
    throw source.error(`invalid JSON: ${syntaxError.detail}`, undefined, syntaxError.offset);
  }
  return JSON.parse(source.text);
}

/**
 * Parses HCL with hcl2json, HashiCorp's HCL 2 parser compiled to WebAssembly.
 * It is imported on first use because loading it starts a Go runtime.
 * NOTE: HCL 2 is stricter than the HCL 1 that Vault uses in a few corners,
 * e.g. it rejects a quoted setting name (`"ui" = true`).
 */
async function parseHcl(source: ConfigSource): Promise<unknown> {
  const { default: hcl2json } = (await import(HCL2JSON_MODULE)) as { default: Hcl2Json };
  try {
    return await hcl2json.parse(source.file, source.text);
  } catch (error) {
    throw hclSyntaxError(source, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Turns hcl2json's `parse config: [FILE:LINE,COL-ENDCOL: Summary; Detail]`
 * into a ConfigError at LINE,COL with the summary and detail as message.
 */
function hclSyntaxError(source: ConfigSource, message: string): ConfigError {
  const inner = message.replace(/^parse config: \[/, '').replace(/\]$/, '');
  const prefix = `${source.file}:`;
  if (inner.startsWith(prefix)) {
    const match = /^(\d+),(\d+)(?:-\d+(?:,\d+)?)?: /.exec(inner.slice(prefix.length));
    if (match !== null) {
      const detail = inner.slice(prefix.length + match[0].length);
      return new ConfigError(detail, { file: source.file, line: Number(match[1]), column: Number(match[2]) });
    }
  }
  return new ConfigError(inner, { file: source.file });
}
