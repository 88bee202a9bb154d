// Output in the formats of Vault's CLI. The `table` format joins columns with
// four spaces under a dashed header, shows empty cells as "n/a" and prints
// values as Go's `%v` does. The `json` format indents by two spaces and sorts
// map keys, as Go's encoding/json does.
import { stringifyJson } from '@coffer/sdk';
import { splitSeconds } from './flags.js';
import type { UI } from './io.js';
import type { Secret } from './secret.js';
import { extractField } from './secret.js';

const columnGlue = '    ';
const emptyCell = 'n/a';

/** Maximum line length of wrapped prose, the same as Vault's CLI uses. */
export const maxLineLength = 78;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Compares strings by UTF-16 code units, close to the byte order in which Go sorts map keys. */
function compareKeys(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

/** Formats a value as Go's `%v` prints decoded JSON: `<nil>`, `[a b]`, `map[k:v]`. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort(compareKeys);
    return `map[${keys.map((key) => `${key}:${goValue(value[key])}`).join(' ')}]`;
  }
  return String(value);
}

/** Formats a string list as Go's `%q` does: `["a" "b"]`. */
export function goQuotedList(list: readonly string[] | null | undefined): string {
  return `[${(list ?? []).map((item) => JSON.stringify(item)).join(' ')}]`;
}

/** Formats seconds as a Go duration without trailing zero units: 3600 is "1h", 90 is "1m30s". */
export function humanDuration(totalSeconds: number): string {
  if (totalSeconds === 0) return '0s';
  const { sign, hours, minutes, seconds } = splitSeconds(totalSeconds);

  let text = '';
  if (hours > 0) text += `${hours}h`;
  if (minutes > 0) text += `${minutes}m`;
  if (seconds > 0 || text === '') text += `${seconds}s`;
  return sign + text;
}

/**
 * Formats an RFC 3339 time as Go's `time.Time.String()` prints a time decoded
 * from JSON: "2024-05-01T10:00:00.5Z" becomes "2024-05-01 10:00:00.5 +0000 UTC",
 * and an offset such as "+02:00" becomes "+0200 +0200". Other text is returned as it is.
 */
export function goTimeString(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (match === null) return text;
  const [, date, time, fraction = '', offset] = match;
  // Go drops trailing zeros of the fraction, and the dot when nothing is left.
  const trimmedFraction = fraction.replace(/0+$/, '').replace(/\.$/, '');
  const zone = offset === 'Z' ? '+0000 UTC' : `${offset.replace(':', '')} ${offset.replace(':', '')}`;
  return `${date} ${time}${trimmedFraction} ${zone}`;
}

/** Returns true for a response key whose number of seconds the table shows as a duration. */
export function looksLikeDuration(key: string): boolean {
  return (
    key === 'period' ||
    key.endsWith('_period') ||
    key === 'ttl' ||
    key.endsWith('_ttl') ||
    key === 'duration' ||
    key.endsWith('_duration') ||
    key === 'lease_max' ||
    key === 'ttl_max'
  );
}

function durationCell(value: unknown): string {
  return typeof value === 'number' && Number.isInteger(value) ? humanDuration(value) : goValue(value);
}

/**
 * Aligns rows into columns joined by four spaces. Cells are trimmed, an empty
 * cell becomes "n/a", and the last cell of a row is not padded.
 */
export function columnize(rows: readonly (readonly string[])[]): string {
  const cleaned = rows.map((row) => row.map((cell) => cell.trim() || emptyCell));
  const widths: number[] = [];
  for (const row of cleaned) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, [...cell].length);
    });
  }
  return cleaned
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell + ' '.repeat(widths[index] - [...cell].length)))
        .join(columnGlue),
    )
    .join('\n');
}

/** Formats a table whose first row is the header, with a dashed line under each header cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const underline = header.map((cell) => '-'.repeat([...cell.trim()].length));
  return columnize([header, underline, ...rows]);
}

/** Centers a title in equal signs on a line `width` characters wide, as Vault's `kv` output headers. */
export function padEqualSigns(title: string, width: number): string {
  let signs = width - (title.length + 2);
  if (signs <= 0) signs = 4;
  if (signs % 2 !== 0) signs += 1;
  const side = '='.repeat(signs / 2);
  return `${side} ${title} ${side}`;
}

/** Formats a section header sized to the key/value table of `data` printed under it. */
export function headerForMap(title: string, data: Record<string, unknown>): string {
  const longestKey = Math.max(0, ...Object.keys(data).map((key) => key.length));
  // The table is the longest key, the four-space glue and the five letters of "Value".
  return padEqualSigns(title, longestKey + columnGlue.length + 'Value'.length);
}

/** Wraps prose at word boundaries to `maxLineLength`, indenting each line by `pad` spaces. */
export function wrapAtLength(text: string, pad = 0): string {
  const width = maxLineLength - pad;
  const indent = ' '.repeat(pad);
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
  }
  return lines.map((line) => (line === '' ? line : indent + line)).join('\n');
}

/** Orders object keys the way Go writes maps: sorted, at every depth. */
function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isRecord(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(compareKeys)) sorted[key] = sortKeysDeep(value[key]);
  return sorted;
}

/**
 * Serializes `value` as Go's `json.MarshalIndent(v, "", "  ")` does. Object keys
 * are sorted, except at the top level when `keepTopLevelOrder` is set, which
 * keeps the field order of a Go struct. `<`, `>`, `&`, U+2028 and U+2029 are
 * escaped.
 */
export function goJson(value: unknown, keepTopLevelOrder = false): string {
  let ordered: unknown;
  if (keepTopLevelOrder && isRecord(value)) {
    ordered = Object.fromEntries(Object.entries(value).map(([key, item]) => [key, sortKeysDeep(item)]));
  } else {
    ordered = sortKeysDeep(value);
  }
  return (stringifyJson(ordered ?? null, 2) ?? 'null')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Plain scalars that a YAML 1.1 parser, such as Go's, reads as a boolean or null rather than a string. */
const yamlReserved = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;

/**
 * Formats a string as a YAML scalar: plain when it is a word that no parser
 * reads as another type, else double-quoted with JSON's escapes, which are
 * valid in YAML too.
 */
function yamlString(text: string): string {
  if (/^[A-Za-z_/][\w./-]*$/.test(text) && !yamlReserved.test(text)) return text;
  return JSON.stringify(text).replace(/[\u007f\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Formats a value that fits on its key's line: a scalar, or an empty map or list. Returns undefined for the others. */
function yamlInline(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return yamlString(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
  if (isRecord(value)) return Object.keys(value).length === 0 ? '{}' : undefined;
  return yamlString(String(value));
}

/** Formats the entries of a non-empty map or list as block lines at `indent`. */
function yamlLines(value: Record<string, unknown> | unknown[], indent: string): string[] {
  const lines: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      const inline = yamlInline(item);
      if (inline !== undefined) {
        lines.push(`${indent}- ${inline}`);
        continue;
      }
      // The item's first line goes after the dash; its other lines stay indented under it.
      const nested = yamlLines(item as Record<string, unknown> | unknown[], `${indent}  `);
      nested[0] = `${indent}- ${nested[0].slice(indent.length + 2)}`;
      lines.push(...nested);
    }
    return lines;
  }

  for (const key of Object.keys(value).sort(compareKeys)) {
    const item = value[key];
    const inline = yamlInline(item);
    if (inline !== undefined) lines.push(`${indent}${yamlString(key)}: ${inline}`);
    // go-yaml writes a list under a map key at the key's own indentation.
    else if (Array.isArray(item)) lines.push(`${indent}${yamlString(key)}:`, ...yamlLines(item, indent));
    else lines.push(`${indent}${yamlString(key)}:`, ...yamlLines(item as Record<string, unknown>, `${indent}  `));
  }
  return lines;
}

/**
 * Serializes `value` as YAML in the block style of go-yaml, which Vault's
 * `-format=yaml` writes through ghodss/yaml: map keys sorted at every depth,
 * including the envelope's, and list items at their key's indentation. Multi-line strings
 * are double-quoted, where go-yaml may choose a literal block; both parse to
 * the same text.
 */
export function goYaml(value: unknown): string {
  const inline = yamlInline(value);
  if (inline !== undefined) return inline;
  return yamlLines(value as Record<string, unknown> | unknown[], '').join('\n');
}

/** Serializes `value` in the UI's json or yaml format. `keepTopLevelOrder` applies to JSON, as for `goJson`. */
export function structuredText(ui: UI, value: unknown, keepTopLevelOrder = false): string {
  return ui.format === 'yaml' ? goYaml(value) : goJson(value, keepTopLevelOrder);
}

/** Builds the envelope in the field order of Vault's `api.Secret`, ready for `goJson`. */
function secretEnvelope(secret: Secret): Record<string, unknown> {
  const envelope: Record<string, unknown> = {
    request_id: secret.request_id,
    lease_id: secret.lease_id,
    lease_duration: secret.lease_duration,
    renewable: secret.renewable,
    data: secret.data,
    warnings: secret.warnings,
  };
  if (secret.auth) envelope.auth = secret.auth;
  if (secret.wrap_info) envelope.wrap_info = secret.wrap_info;
  if (secret.mount_type) envelope.mount_type = secret.mount_type;
  return envelope;
}

/** Prints the warnings of a response to stderr, as the table format does. */
export function printWarnings(ui: UI, secret: Secret | null): void {
  if (!secret?.warnings?.length) return;
  ui.warn('WARNING! The following warnings were returned from the server:\n');
  for (const warning of secret.warnings) {
    ui.warn(wrapAtLength(`* ${warning}`, 2));
    ui.warn('');
  }
}

/** Builds the table rows of a whole response: lease, token, wrapping, then data fields. */
function secretRows(secret: Secret): string[][] {
  const rows: string[][] = [];
  if (secret.lease_duration > 0) {
    if (secret.lease_id !== '') {
      rows.push(['lease_id', secret.lease_id]);
      rows.push(['lease_duration', humanDuration(secret.lease_duration)]);
      rows.push(['lease_renewable', String(secret.renewable)]);
    } else {
      rows.push(['refresh_interval', humanDuration(secret.lease_duration)]);
    }
  }

  const auth = secret.auth;
  if (auth) {
    rows.push(['token', auth.client_token]);
    rows.push(['token_accessor', auth.accessor]);
    // A token without a TTL (a root token) never expires.
    rows.push(['token_duration', auth.lease_duration === 0 ? '∞' : humanDuration(auth.lease_duration)]);
    rows.push(['token_renewable', String(auth.renewable)]);
    rows.push(['token_policies', goQuotedList(auth.token_policies)]);
    rows.push(['identity_policies', goQuotedList(auth.identity_policies)]);
    rows.push(['policies', goQuotedList(auth.policies)]);
    for (const key of Object.keys(auth.metadata ?? {}).sort(compareKeys)) {
      rows.push([`token_meta_${key}`, goValue(auth.metadata?.[key])]);
    }
  }

  const wrap = secret.wrap_info;
  if (wrap) {
    rows.push(['wrapping_token:', wrap.token]);
    rows.push(['wrapping_accessor:', wrap.accessor]);
    rows.push(['wrapping_token_ttl:', humanDuration(wrap.ttl)]);
    rows.push(['wrapping_token_creation_time:', goTimeString(wrap.creation_time)]);
    rows.push(['wrapping_token_creation_path:', wrap.creation_path]);
    if (wrap.wrapped_accessor) rows.push(['wrapped_accessor:', wrap.wrapped_accessor]);
  }

  rows.push(...mapRows(secret.data ?? {}));
  return rows;
}

function mapRows(data: Record<string, unknown>): string[][] {
  return Object.keys(data)
    .sort(compareKeys)
    .map((key) => [key, looksLikeDuration(key) ? durationCell(data[key]) : goValue(data[key])]);
}

/** Prints a whole response: the key/value table, or the full envelope as JSON. */
export function outputSecret(ui: UI, secret: Secret): void {
  if (ui.format !== 'table') {
    ui.output(structuredText(ui, secretEnvelope(secret), true));
    return;
  }
  printWarnings(ui, secret);
  const rows = secretRows(secret);
  if (rows.length > 0) ui.output(table(['Key', 'Value'], rows));
}

/** Prints a map as a key/value table, or as JSON. Nothing is printed for an empty map in table format. */
export function outputData(ui: UI, data: Record<string, unknown>): void {
  if (ui.format !== 'table') {
    ui.output(structuredText(ui, data));
    return;
  }
  const rows = mapRows(data);
  if (rows.length > 0) ui.output(table(['Key', 'Value'], rows));
}

/** Prints the sorted `keys` of a LIST response under a "Keys" header, or the keys array as JSON. */
export function outputList(ui: UI, secret: Secret, keys: unknown[]): void {
  if (ui.format !== 'table') {
    ui.output(structuredText(ui, keys));
    return;
  }
  printWarnings(ui, secret);
  const sorted = keys.map((key) => String(key)).sort(compareKeys);
  if (sorted.length > 0) ui.output(table(['Keys'], sorted.map((key) => [key])));
}

/**
 * Prints one field's value for `-field`: the plain value in table format, its
 * JSON in json format. The line ends with a newline only on a terminal, so a
 * piped value is exactly the secret. Returns the exit code: 1 when the field
 * is absent.
 */
export function printField(ui: UI, source: Secret | Record<string, unknown>, field: string): number {
  const value = isSecret(source) ? extractField(source, field) : source[field];
  if (value === undefined || value === null) {
    ui.error(`Field "${field}" not present in secret`);
    return 1;
  }
  const text = ui.format === 'table' ? goValue(value) : structuredText(ui, value);
  ui.raw(ui.stdoutIsTerminal ? `${text}\n` : text);
  return 0;
}

function isSecret(source: Secret | Record<string, unknown>): source is Secret {
  return 'request_id' in source && 'lease_duration' in source && 'warnings' in source;
}
