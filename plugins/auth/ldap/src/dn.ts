/**
 * Distinguished names and filter values: escaping user input before it goes
 * into a DN (RFC 4514) or a search filter (RFC 4515), and reading the common
 * name out of a group's DN.
 */

/** One attribute of a relative distinguished name, value unescaped. */
export interface DnAttribute {
  type: string;
  value: string;
}

/**
 * Escapes a value for one RDN of a DN, as RFC 4514 section 2.4 requires:
 * `" + , ; < > \` and NUL anywhere, `#` or a space at the start and a space
 * at the end.
 */
export function escapeDnValue(value: string): string {
  let escaped = '';
  for (const char of value) {
    if (char === '\0') escaped += '\\00';
    else if ('"+,;<>\\'.includes(char)) escaped += `\\${char}`;
    else escaped += char;
  }
  if (escaped.startsWith(' ') || escaped.startsWith('#')) escaped = `\\${escaped}`;
  if (escaped.length > 1 && escaped.endsWith(' ') && !escaped.endsWith('\\ ')) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/**
 * Escapes a value for a search filter as RFC 4515 section 3 requires, and as
 * Vault's LDAP client does: `( ) * \` and NUL, and every byte of a non-ASCII
 * character, become `\xx`.
 */
export function escapeFilterValue(value: string): string {
  let escaped = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const mustEscape = byte > 0x7f || byte === 0x28 || byte === 0x29 || byte === 0x2a || byte === 0x5c || byte === 0;
    escaped += mustEscape ? `\\${byte.toString(16).padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return escaped;
}

/**
 * Parses a DN into its attributes, in order, with multi-valued RDNs
 * flattened. Returns `null` when the text is not a DN, such as a bare group
 * name.
 */
export function parseDn(dn: string): DnAttribute[] | null {
  const attributes: DnAttribute[] = [];
  let position = 0;

  while (position < dn.length) {
    const equals = dn.indexOf('=', position);
    if (equals === -1) return null;
    const type = dn.slice(position, equals).trim();
    if (!/^(?:[A-Za-z][\w-]*|\d+(?:\.\d+)*)$/.test(type)) return null;

    const parsed = readValue(dn, equals + 1);
    if (parsed === null) return null;
    attributes.push({ type, value: parsed.value });

    position = parsed.end;
    if (position < dn.length) position += 1; // skip the separator
  }
  return attributes.length > 0 ? attributes : null;
}

/**
 * Returns the first `cn` value of a DN, compared without regard to case as
 * Vault does since 1.1.1, or the text itself when it is not a DN or has no
 * `cn`.
 */
export function commonName(dn: string): string {
  const attributes = parseDn(dn);
  const cn = attributes?.find((attribute) => attribute.type.toLowerCase() === 'cn');
  return cn?.value ?? dn;
}

/** Reads one attribute value up to the next unescaped `,`, `;` or `+`. */
function readValue(dn: string, start: number): { value: string; end: number } | null {
  const bytes: number[] = [];
  let position = start;
  let quoted = false;
  // Unescaped spaces around a value are not part of it; escaped ones are.
  let significant = 0;
  while (dn[position] === ' ') position += 1;

  while (position < dn.length) {
    const char = dn[position];
    if (char === '"') {
      quoted = !quoted;
      position += 1;
      continue;
    }
    if (!quoted && (char === ',' || char === ';' || char === '+')) break;
    if (char === '\\') {
      const pair = dn.slice(position + 1, position + 3);
      if (/^[0-9a-fA-F]{2}$/.test(pair)) {
        bytes.push(parseInt(pair, 16));
        position += 3;
      } else if (position + 1 < dn.length) {
        bytes.push(...Buffer.from(dn[position + 1], 'utf8'));
        position += 2;
      } else {
        return null;
      }
      significant = bytes.length;
      continue;
    }
    const text = String.fromCodePoint(dn.codePointAt(position) ?? 0);
    bytes.push(...Buffer.from(text, 'utf8'));
    if (text !== ' ' || quoted) significant = bytes.length;
    position += text.length;
  }
  if (quoted) return null;
  return { value: Buffer.from(bytes.slice(0, significant)).toString('utf8'), end: position };
}
