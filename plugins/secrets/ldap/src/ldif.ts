/**
 * LDIF change records (RFC 2849) for dynamic roles: the templates of
 * `creation_ldif`, `deletion_ldif` and `rollback_ldif`, rendered with a
 * lease's values and parsed into the add, modify and delete operations the
 * engine applies in order. Anything else (modrdn, controls, values read
 * from URLs) is rejected with the line it is on.
 */

/** One change record. */
export type LdifRecord =
  | { changetype: 'add'; dn: string; attributes: Record<string, string[]>; line: number }
  | { changetype: 'modify'; dn: string; changes: { operation: 'add' | 'delete' | 'replace'; attribute: string; values: string[] }[]; line: number }
  | { changetype: 'delete'; dn: string; line: number };

/** An LDIF text that cannot be applied; the message names the line. */
export class LdifError extends Error {
  constructor(line: number, problem: string) {
    super(`line ${line}: ${problem}`);
    this.name = 'LdifError';
  }
}

interface Line {
  number: number;
  text: string;
}

/**
 * Parses LDIF text into change records. A record without `changetype`
 * adds an entry, as in an LDIF content file.
 * @throws LdifError naming the first line that cannot be applied.
 */
export function parseLdif(text: string): LdifRecord[] {
  const records: LdifRecord[] = [];
  for (const block of splitRecords(unfold(text))) {
    const record = parseRecord(block);
    if (record !== null) records.push(record);
  }
  if (records.length === 0) throw new LdifError(1, 'no change records found');
  return records;
}

/** Joins continuation lines (those starting with one space) to the line before, and drops comments. */
function unfold(text: string): Line[] {
  const lines: Line[] = [];
  const raw = text.replace(/\r\n/g, '\n').split('\n');
  for (const [index, content] of raw.entries()) {
    const number = index + 1;
    if (content.startsWith(' ') && lines.length > 0 && lines[lines.length - 1].text !== '') {
      lines[lines.length - 1].text += content.slice(1);
      continue;
    }
    if (content.startsWith('#')) continue;
    lines.push({ number, text: content });
  }
  return lines;
}

function splitRecords(lines: Line[]): Line[][] {
  const blocks: Line[][] = [];
  let current: Line[] = [];
  for (const line of lines) {
    if (line.text.trim() === '') {
      if (current.length > 0) blocks.push(current);
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length > 0) blocks.push(current);
  return blocks;
}

/** Splits `attr: value`, `attr:: base64` and `attr:< url` lines. */
function parseLine(line: Line): { name: string; value: string } {
  if (line.text.trim() === '-') return { name: '-', value: '' };
  const match = /^([A-Za-z0-9][A-Za-z0-9;.-]*)\s*:(:|<)?\s?(.*)$/.exec(line.text);
  if (match === null) throw new LdifError(line.number, `expected "attribute: value", got "${truncate(line.text)}"`);
  const [, name, kind, rest] = match;
  if (kind === '<') throw new LdifError(line.number, `values read from a URL ("${name}:<") are not supported`);
  if (kind === ':') {
    const value = rest.trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) throw new LdifError(line.number, `the value of "${name}::" is not valid base64`);
    return { name, value: Buffer.from(value, 'base64').toString('utf8') };
  }
  return { name, value: rest.replace(/^\s+/, '') };
}

function parseRecord(block: Line[]): LdifRecord | null {
  let lines = block.map((line) => ({ line, ...parseLine(line) }));
  // A version line may open the file, before the first record.
  if (lines[0].name.toLowerCase() === 'version') {
    if (lines[0].value.trim() !== '1') throw new LdifError(lines[0].line.number, `unsupported LDIF version "${lines[0].value}"; only 1 is defined`);
    lines = lines.slice(1);
    if (lines.length === 0) return null;
  }

  const first = lines[0];
  if (first.name.toLowerCase() !== 'dn') throw new LdifError(first.line.number, `a record must start with "dn:", got "${first.name}:"`);
  const dn = first.value.trim();
  if (dn === '') throw new LdifError(first.line.number, 'the dn is empty');
  let body = lines.slice(1);

  if (body.length > 0 && body[0].name.toLowerCase() === 'control') throw new LdifError(body[0].line.number, 'controls are not supported');
  let changetype = 'add';
  if (body.length > 0 && body[0].name.toLowerCase() === 'changetype') {
    changetype = body[0].value.trim().toLowerCase();
    body = body.slice(1);
  }
  const line = first.line.number;

  switch (changetype) {
    case 'add':
      return { changetype: 'add', dn, attributes: parseAddBody(body, line), line };
    case 'delete':
      if (body.length > 0) throw new LdifError(body[0].line.number, `a delete record takes no attributes, got "${body[0].name}:"`);
      return { changetype: 'delete', dn, line };
    case 'modify':
      return { changetype: 'modify', dn, changes: parseModifyBody(body, line), line };
    default:
      throw new LdifError(lines[1].line.number, `changetype "${changetype}" is not supported; use add, modify or delete`);
  }
}

function parseAddBody(body: { line: Line; name: string; value: string }[], recordLine: number): Record<string, string[]> {
  if (body.length === 0) throw new LdifError(recordLine, 'an add record needs at least one attribute');
  const attributes: Record<string, string[]> = {};
  for (const { line, name, value } of body) {
    if (name === '-') throw new LdifError(line.number, '"-" belongs in modify records only');
    if (name.toLowerCase() === 'changetype') throw new LdifError(line.number, '"changetype" must follow the "dn:" line');
    (attributes[name] ??= []).push(value);
  }
  return attributes;
}

function parseModifyBody(lines: { line: Line; name: string; value: string }[], recordLine: number): { operation: 'add' | 'delete' | 'replace'; attribute: string; values: string[] }[] {
  const changes: { operation: 'add' | 'delete' | 'replace'; attribute: string; values: string[] }[] = [];
  let index = 0;
  while (index < lines.length) {
    const head = lines[index];
    const operation = head.name.toLowerCase();
    if (operation !== 'add' && operation !== 'delete' && operation !== 'replace') {
      throw new LdifError(head.line.number, `expected "add:", "delete:" or "replace:" in a modify record, got "${head.name}:"`);
    }
    const attribute = head.value.trim();
    if (attribute === '') throw new LdifError(head.line.number, `"${operation}:" needs an attribute name`);
    const values: string[] = [];
    index++;
    while (index < lines.length && lines[index].name !== '-') {
      const { line, name, value } = lines[index];
      if (name.toLowerCase() !== attribute.toLowerCase()) throw new LdifError(line.number, `expected a value of "${attribute}" or "-", got "${name}:"`);
      values.push(value);
      index++;
    }
    if (index >= lines.length) throw new LdifError(lines[lines.length - 1].line.number, `the "${operation}: ${attribute}" change must end with a "-" line`);
    index++;
    if (operation === 'add' && values.length === 0) throw new LdifError(head.line.number, `"add: ${attribute}" needs at least one value`);
    changes.push({ operation, attribute, values });
  }
  if (changes.length === 0) throw new LdifError(recordLine, 'a modify record needs at least one change');
  return changes;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
