/**
 * JSONx: IBM's XML form of JSON, which Vault's `format=jsonx` writes. Every
 * JSON value becomes a `json:object`, `json:array`, `json:string`,
 * `json:number`, `json:boolean` or `json:null` element, and object members
 * carry their key in a `name` attribute. Members are sorted by key, as
 * Vault's encoder sorts them.
 *
 * Each entry is one well-formed document with a `json:object` root. Vault
 * writes the root's children without the root element and without escaping
 * string values; Coffer escapes them, so a value can never inject markup.
 */

import { parseJson, stringifyJson } from '@coffer/sdk';

export const JSONX_NAMESPACE = 'http://www.ibm.com/xmlns/prod/2009/jsonx';

/** Encodes a JSON-serializable object as a JSONx document without an XML declaration. */
export function toJsonx(value: Record<string, unknown>): string {
  // A JSON round trip applies toJSON (dates, buffers) and drops undefined members, as JSON output would.
  const plain = parseJson(stringifyJson(value) as string) as Record<string, unknown>;
  return `<json:object xmlns:json="${JSONX_NAMESPACE}">${members(plain)}</json:object>`;
}

function members(object: Record<string, unknown>): string {
  return Object.keys(object)
    .sort()
    .map((key) => element(object[key], key))
    .join('');
}

function element(value: unknown, name?: string): string {
  const attribute = name === undefined ? '' : ` name="${escapeXml(name)}"`;
  if (value === null) return `<json:null${attribute}/>`;
  if (Array.isArray(value)) return `<json:array${attribute}>${value.map((item) => element(item)).join('')}</json:array>`;

  switch (typeof value) {
    case 'string':
      return `<json:string${attribute}>${escapeXml(value)}</json:string>`;
    case 'number':
    case 'bigint':
      return `<json:number${attribute}>${value}</json:number>`;
    case 'boolean':
      return `<json:boolean${attribute}>${value}</json:boolean>`;
    default:
      return `<json:object${attribute}>${members(value as Record<string, unknown>)}</json:object>`;
  }
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // Character references keep every entry on one line, which line-based readers and syslog need.
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/**
 * Escapes markup characters and line breaks. Control characters that XML 1.0
 * forbids (the rest of those below U+0020) become U+FFFD.
 */
function escapeXml(text: string): string {
  return text.replace(/[&<>"'\u0000-\u001f]/g, (character) => XML_ESCAPES[character] ?? '\ufffd');
}
