/**
 * Parsing policy documents, HCL or JSON, into rules. The HCL parser is
 * @cdktf/hcl2json, HashiCorp's HCL 2 parser compiled to WebAssembly, loaded
 * on first use because loading it starts a Go runtime.
 * NOTE: Vault parses policies with HCL 1. HCL 2 rejects a few things HCL 1
 * accepted, such as a repeated argument in one block or several arguments
 * on the line of a one-line block.
 */
import { isPlainObject } from '@coffer/sdk';
import { findJsonSyntaxError } from '../config/json-syntax.js';
import { closestName } from '../config/suggest.js';
import { parsePathRule, type PathBlock, type PathRule } from './path-rules.js';
import { PolicySource } from './source.js';
import { parseHclDocument } from '../hcl.js';

/** A parsed policy. Treat it as immutable: stores and ACLs share it. */
export interface Policy {
  /** The name it was parsed under; the policy store lower-cases names. */
  name: string;
  /** The document as written. */
  raw: string;
  /** One rule per path block, in the order hcl2json returns them. */
  paths: readonly PathRule[];
  /** True when some path contains `{{...}}` directives, so the ACL depends on the entity. */
  templated: boolean;
}


const TOP_LEVEL_KEYS = ['path', 'name'];

/**
 * Parses HCL or JSON policy text. A document whose first non-blank character
 * is `{` is JSON, as in Vault.
 * @throws CofferError (400) naming the policy, the line where it can be
 * found, the path and the problem.
 */
export async function parsePolicy(name: string, text: string): Promise<Policy> {
  const source = new PolicySource(name, text);
  const document = source.format === 'json' ? parseJson(source) : await parseHcl(source);
  if (!isPlainObject(document)) {
    throw source.error('the document must be an object of "path" blocks, such as { "path": { "secret/*": { "capabilities": ["read"] } } }');
  }

  checkTopLevelKeys(source, document);
  const paths = pathBlocks(source, document.path).map((block) => parsePathRule(source, block));
  return { name, raw: text, paths, templated: paths.some((rule) => rule.template !== undefined) };
}

function parseJson(source: PolicySource): unknown {
  const syntaxError = findJsonSyntaxError(source.text);
  if (syntaxError !== undefined) {
    const { line, column } = source.position(syntaxError.offset);
    throw source.error(`invalid JSON: ${syntaxError.detail}`, line, column);
  }
  return JSON.parse(source.text);
}

async function parseHcl(source: PolicySource): Promise<unknown> {
  const parsed = await parseHclDocument('policy.hcl', source.text);
  if ('document' in parsed) return parsed.document;
  throw source.error(parsed.error.detail, parsed.error.line, parsed.error.column);
}

function checkTopLevelKeys(source: PolicySource, document: Record<string, unknown>): void {
  for (const key of Object.keys(document)) {
    if (TOP_LEVEL_KEYS.includes(key)) continue;
    const suggestion = closestName(key, TOP_LEVEL_KEYS);
    const hint = suggestion === undefined ? 'a policy holds only "path" blocks and an optional "name"' : `did you mean "${suggestion}"?`;
    throw source.error(`unknown key "${key}"; ${hint}`, source.findKeyLine(key));
  }
  if (document.name !== undefined && typeof document.name !== 'string') {
    throw source.error('"name" must be a string', source.findKeyLine('name'));
  }
}

/**
 * Lists the path blocks of a document. HCL arrives from hcl2json as
 * `{ label: [body, ...] }`; JSON may also use `{ label: body }` or a list of
 * such objects, the shapes HCL 1 accepts.
 */
function pathBlocks(source: PolicySource, value: unknown): PathBlock[] {
  if (value === undefined) return [];
  const blocks: PathBlock[] = [];
  const seen = new Map<string, number>();
  const groups = Array.isArray(value) ? value : [value];

  for (const group of groups) {
    if (!isPlainObject(group)) {
      throw source.error('"path" must be a block such as path "secret/*" { capabilities = ["read"] }', source.findKeyLine('path'));
    }
    for (const [label, bodies] of Object.entries(group)) {
      for (const body of Array.isArray(bodies) ? bodies : [bodies]) {
        const occurrence = seen.get(label) ?? 0;
        seen.set(label, occurrence + 1);
        if (!isPlainObject(body)) {
          const line = source.findPathLine(label, occurrence) ?? source.findKeyLine('path');
          throw source.error(`path ${JSON.stringify(label)} must be a block such as path "${label}" { capabilities = ["read"] }`, line);
        }
        blocks.push({ label, body, occurrence });
      }
    }
  }
  return blocks;
}
