/**
 * otherName subject alternative names (RFC 5280 section 4.2.1.6) in
 * Vault's `<oid>;UTF8:<value>` form, as the other_sans request field and
 * the allowed_other_sans role field take them. Only UTF8String values are
 * supported, as in Vault.
 */
import { globMatches, isCofferError } from '@coffer/sdk';
import { decodeOid, derElements, derOid, derSequence, derTagged, oidProblem } from './der.js';
import { invalidField } from './errors.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** One otherName: its type OID and UTF-8 value. */
export interface OtherName {
  oid: string;
  value: string;
}

/** Parses one `<oid>;UTF8:<value>` entry, or returns why it is invalid. */
function parseOtherSan(entry: string): OtherName | { problem: string } {
  const semicolon = entry.indexOf(';');
  if (semicolon === -1) return { problem: `expected a semicolon in other SAN "${entry}"` };
  const oid = entry.slice(0, semicolon).trim();
  const typed = entry.slice(semicolon + 1);
  const colon = typed.indexOf(':');
  if (colon === -1) return { problem: `expected a colon in other SAN "${entry}"` };
  const type = typed.slice(0, colon).toLowerCase();
  if (type !== 'utf8' && type !== 'utf-8') {
    return { problem: `only utf8 other SANs are supported; found non-supported type in other SAN "${entry}"` };
  }
  const oidError = oidProblem(oid);
  if (oidError === 'syntax') return { problem: `"${oid}" in other SAN "${entry}" is not a dotted object identifier` };
  if (oidError === 'second arc') return { problem: `"${oid}" in other SAN "${entry}" is not a valid object identifier: under arc 0 or 1 the second arc must be below 40` };
  return { oid, value: typed.slice(colon + 1) };
}

/**
 * Parses other SAN entries.
 * @throws CofferError (400) naming `field` and the first invalid entry.
 */
export function parseOtherSans(field: string, entries: string[]): OtherName[] {
  const names: OtherName[] = [];
  for (const entry of entries) {
    const parsed = parseOtherSan(entry);
    if ('problem' in parsed) throw invalidField(field, parsed.problem);
    names.push(parsed);
  }
  return names;
}

/**
 * C0 control characters and DEL. A consumer written in C reads a value only
 * up to a NUL, so "admin@corp.example\0@example.com" would pass the glob
 * "*@example.com" and then be read as another name.
 */
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Returns the first requested other SAN the role's allowed_other_sans do
 * not allow, with the reason in Vault's words, or `undefined`. A value
 * with a control character is never allowed. Otherwise a single "*"
 * allows any, or the OID must be listed and the value must match one of its globs.
 */
export function disallowedOtherSan(allowed: string[], requested: OtherName[]): string | undefined {
  const controlled = requested.find((name) => CONTROL_CHARACTER.test(name.value));
  if (controlled !== undefined) return `other SAN ${JSON.stringify(controlled.value)} for OID ${controlled.oid} contains a control character, which no role allows`;
  if (allowed.length === 1 && allowed[0] === '*') return undefined;
  const rules = parseOtherSans('allowed_other_sans', allowed);
  for (const name of requested) {
    const globs = rules.filter((rule) => rule.oid === name.oid).map((rule) => rule.value);
    if (globs.length === 0) return `other SAN OID ${name.oid} not allowed by this role`;
    if (!globs.some((glob) => globMatches(glob, name.value))) return `other SAN ${name.value} not allowed for OID ${name.oid} by this role`;
  }
  return undefined;
}

/** Encodes an otherName GeneralName: [0] { type-id, [0] EXPLICIT UTF8String }. */
export function encodeOtherName(name: OtherName): Buffer {
  const value = derTagged(0xa0, derTagged(0x0c, Buffer.from(name.value, 'utf8')));
  return derTagged(0xa0, Buffer.concat([derOid(name.oid), value]));
}

/**
 * Splits the GeneralNames of a subject alternative name extension into its
 * otherNames and the DER of the remaining names, which @peculiar/x509 can
 * parse (it rejects otherNames of types it does not know).
 * @throws CofferError (400) for malformed DER, or an otherName whose value
 *   is not a UTF8String.
 */
export function splitOtherNames(generalNames: Buffer): { otherNames: OtherName[]; rest: Buffer } {
  const otherNames: OtherName[] = [];
  const rest: Buffer[] = [];
  try {
    const elements = derElements(generalNames);
    if (elements.length !== 1 || elements[0].tag !== 0x30) throw new Error('GeneralNames is not one SEQUENCE');
    for (const element of derElements(elements[0].content)) {
      if (element.tag !== 0xa0) {
        rest.push(element.encoded);
        continue;
      }
      const parts = derElements(element.content);
      const [typeId, wrapped] = parts;
      if (parts.length !== 2 || typeId.tag !== 0x06) throw new Error('an otherName is not a type-id OID followed by one value');
      const oid = decodeOid(typeId.content);
      if (oidProblem(oid) !== undefined) throw new Error(`otherName type-id ${oid} is not a valid object identifier`);
      const values = derElements(wrapped.content);
      if (wrapped.tag !== 0xa0 || values.length !== 1) throw new Error(`the value of otherName ${oid} is not one [0] EXPLICIT element`);
      if (values[0].tag !== 0x0c) {
        throw invalidField('csr', `other SAN ${oid} has a value that is not a UTF8String, the only type supported`);
      }
      // A fatal decoder rejects invalid UTF-8, which Buffer.toString would replace with U+FFFD, so the role would check another value.
      otherNames.push({ oid, value: UTF8.decode(values[0].content) });
    }
  } catch (err) {
    if (isCofferError(err)) throw err;
    throw invalidField('csr', `subject alternative names could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { otherNames, rest: derSequence(...rest) };
}
