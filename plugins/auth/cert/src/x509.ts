/**
 * Parsing of X.509 certificates (RFC 5280) into the fields the cert auth
 * method checks: names, key identifiers, CA flags, key usages and raw
 * extensions. node:crypto's X509Certificate does the signature checks;
 * @peculiar/asn1-x509 decodes the parts Node does not expose.
 */
import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  KeyUsage,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  type Name,
} from '@peculiar/asn1-x509';

/** OID of the common name attribute (X.520). */
const COMMON_NAME = '2.5.4.3';
/** OID of the organizational unit attribute (X.520). */
const ORGANIZATIONAL_UNIT = '2.5.4.11';

/** A parsed certificate with the fields the method reads. */
export interface ParsedCertificate {
  der: Buffer;
  /** Node's view of the certificate, for signature and issuer checks. */
  node: X509Certificate;
  /** The last common name of the subject, as Go's crypto/x509 reports it; empty when there is none. */
  commonName: string;
  organizationalUnits: string[];
  dnsNames: string[];
  emailAddresses: string[];
  uris: string[];
  /** The serial number in decimal, read as a signed DER integer. */
  serialNumber: string;
  subjectKeyId: Buffer;
  authorityKeyId: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** True when basic constraints mark the certificate as a CA. */
  isCa: boolean;
  /** The CA's path length constraint; undefined when it sets none. */
  maxPathLength: number | undefined;
  /** Names of the key usage bits; undefined without a key usage extension. */
  keyUsage: string[] | undefined;
  /** Extended key usage OIDs; undefined without the extension. */
  extendedKeyUsage: string[] | undefined;
  /** Every extension's OID and DER value (the content of extnValue). */
  extensions: Map<string, Buffer>;
  /** OIDs of the extensions marked critical. */
  criticalExtensions: string[];
}

/**
 * Parses one DER certificate.
 * @throws Error when the DER is not a certificate or one of the extensions
 *   read here is malformed.
 */
export function parseCertificate(der: Buffer): ParsedCertificate {
  const node = new X509Certificate(der);
  const tbs = AsnConvert.parse(der, Certificate).tbsCertificate;

  const extensions = new Map<string, Buffer>();
  const criticalExtensions: string[] = [];
  for (const extension of tbs.extensions ?? []) {
    extensions.set(extension.extnID, Buffer.from(extension.extnValue.buffer));
    if (extension.critical) criticalExtensions.push(extension.extnID);
  }
  const parsed: ParsedCertificate = {
    der,
    node,
    commonName: attributeValues(tbs.subject, COMMON_NAME).at(-1) ?? '',
    organizationalUnits: attributeValues(tbs.subject, ORGANIZATIONAL_UNIT),
    dnsNames: [],
    emailAddresses: [],
    uris: [],
    serialNumber: signedInteger(Buffer.from(tbs.serialNumber)).toString(10),
    subjectKeyId: Buffer.alloc(0),
    authorityKeyId: Buffer.alloc(0),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    isCa: false,
    maxPathLength: undefined,
    keyUsage: undefined,
    extendedKeyUsage: undefined,
    extensions,
    criticalExtensions,
  };
  readKnownExtensions(parsed);
  return parsed;
}

/** Fills the fields that come from the standard extensions. */
function readKnownExtensions(parsed: ParsedCertificate): void {
  const value = (oid: string) => parsed.extensions.get(oid);

  const altNames = value(id_ce_subjectAltName);
  for (const name of altNames === undefined ? [] : AsnConvert.parse(altNames, SubjectAlternativeName)) {
    if (name.dNSName !== undefined) parsed.dnsNames.push(name.dNSName);
    if (name.rfc822Name !== undefined) parsed.emailAddresses.push(name.rfc822Name);
    if (name.uniformResourceIdentifier !== undefined) parsed.uris.push(name.uniformResourceIdentifier);
  }
  const subjectKeyId = value(id_ce_subjectKeyIdentifier);
  if (subjectKeyId !== undefined) parsed.subjectKeyId = Buffer.from(AsnConvert.parse(subjectKeyId, SubjectKeyIdentifier).buffer);
  const authorityKeyId = value(id_ce_authorityKeyIdentifier);
  const keyIdentifier = authorityKeyId === undefined ? undefined : AsnConvert.parse(authorityKeyId, AuthorityKeyIdentifier).keyIdentifier;
  if (keyIdentifier !== undefined) parsed.authorityKeyId = Buffer.from(keyIdentifier.buffer);

  const basicConstraints = value(id_ce_basicConstraints);
  if (basicConstraints !== undefined) {
    const decoded = AsnConvert.parse(basicConstraints, BasicConstraints);
    parsed.isCa = decoded.cA;
    parsed.maxPathLength = decoded.pathLenConstraint;
  }
  const keyUsage = value(id_ce_keyUsage);
  if (keyUsage !== undefined) parsed.keyUsage = AsnConvert.parse(keyUsage, KeyUsage).toJSON();
  const extendedKeyUsage = value(id_ce_extKeyUsage);
  if (extendedKeyUsage !== undefined) parsed.extendedKeyUsage = [...AsnConvert.parse(extendedKeyUsage, ExtendedKeyUsage)];
}

function attributeValues(name: Name, type: string): string[] {
  const values: string[] = [];
  for (const rdn of name) {
    for (const attribute of rdn) {
      if (attribute.type === type) values.push(attribute.value.toString());
    }
  }
  return values;
}

/** Reads DER INTEGER content bytes as a two's complement number. */
function signedInteger(bytes: Buffer): bigint {
  if (bytes.length === 0) return 0n;
  const unsigned = BigInt(`0x${bytes.toString('hex')}`);
  return (bytes[0] & 0x80) === 0 ? unsigned : unsigned - (1n << BigInt(bytes.length * 8));
}

/** Returns the serial number of a DER INTEGER's content bytes in decimal, as CRL entries carry them. */
export function serialFromInteger(bytes: ArrayBuffer): string {
  return signedInteger(Buffer.from(bytes)).toString(10);
}

/**
 * Formats bytes as lowercase hex pairs joined by `:`, the form Vault gives
 * key identifiers in login metadata.
 */
export function colonHex(bytes: Buffer): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/**
 * Decodes an extension value as an ASN.1 string, as Go's `asn1.Unmarshal`
 * into a string does. Returns an empty string for any other value, which
 * Vault's `required_extensions` and `allowed_metadata_extensions` then
 * compare against.
 */
export function extensionText(value: Buffer): string {
  const tag = value[0];
  const content = derContent(value);
  if (content === undefined) return '';
  switch (tag) {
    case 0x0c: // UTF8String
      return content.toString('utf8');
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x14: // T61String
    case 0x16: // IA5String
      return content.toString('latin1');
    case 0x1e: // BMPString: UTF-16 big-endian
      return Buffer.from(content).swap16().toString('utf16le');
    default:
      return '';
  }
}

/** Returns the content of one DER element at the start of `value`, or undefined when it is truncated. */
function derContent(value: Buffer): Buffer | undefined {
  if (value.length < 2) return undefined;
  let length = value[1];
  let offset = 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || value.length < 2 + octets) return undefined;
    length = value.subarray(2, 2 + octets).reduce((total, byte) => total * 256 + byte, 0);
    offset += octets;
  }
  if (offset + length > value.length) return undefined;
  const content = value.subarray(offset, offset + length);
  return value[0] === 0x1e && content.length % 2 !== 0 ? undefined : content;
}

/**
 * Returns the DER of every PEM block with `label` (such as `CERTIFICATE`)
 * in `text`, in order. Blocks whose body is not base64 are skipped.
 */
export function pemBlocks(text: string, label: string): Buffer[] {
  const blocks: Buffer[] = [];
  const pattern = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  for (const match of text.matchAll(pattern)) {
    const body = match[1].replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) continue;
    blocks.push(Buffer.from(body, 'base64'));
  }
  return blocks;
}
