/**
 * Subject names and subject alternative names: the request fields that
 * carry them, their parsing, and their encoding for @peculiar/x509.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { invalidField } from './errors.js';
import type { OtherName } from './other-sans.js';

/** The subject attributes besides the common name, each a list as in Vault. */
export interface SubjectAttributes {
  ou: string[];
  organization: string[];
  country: string[];
  locality: string[];
  province: string[];
  street_address: string[];
  postal_code: string[];
}

/** The subject of a certificate to build. */
export interface SubjectSpec extends SubjectAttributes {
  commonName: string;
  /** The subject's serialNumber attribute (2.5.4.5), not the certificate's serial number. */
  serialNumber: string;
  /** UID attributes (0.9.2342.19200300.100.1.1), from a role's user_ids. */
  userIds?: string[];
}

/** Field declarations of the subject attributes, shared by root, intermediate and role paths. */
export const SUBJECT_ATTRIBUTE_FIELDS = {
  ou: { type: 'comma_string_slice', description: 'OU (OrganizationalUnit) values of the subject.' },
  organization: { type: 'comma_string_slice', description: 'O (Organization) values of the subject.' },
  country: { type: 'comma_string_slice', description: 'C (Country) values of the subject.' },
  locality: { type: 'comma_string_slice', description: 'L (Locality) values of the subject.' },
  province: { type: 'comma_string_slice', description: 'ST (Province) values of the subject.' },
  street_address: { type: 'comma_string_slice', description: 'Street address values of the subject.' },
  postal_code: { type: 'comma_string_slice', description: 'Postal code values of the subject.' },
} as const;

/** Field declarations of the names a certificate request carries. */
export const NAME_FIELDS = {
  common_name: { type: 'string', description: 'Common name (CN) of the subject.' },
  alt_names: { type: 'comma_string_slice', description: 'DNS names and email addresses for the subject alternative names, comma-separated.' },
  ip_sans: { type: 'comma_string_slice', description: 'IP addresses for the subject alternative names, comma-separated.' },
  uri_sans: { type: 'comma_string_slice', description: 'URIs for the subject alternative names, comma-separated.' },
  exclude_cn_from_sans: {
    type: 'bool',
    description: 'Leave the common name out of the DNS or email subject alternative names.',
  },
  serial_number: { type: 'string', description: 'Value of the subject\'s serialNumber attribute; unrelated to the certificate\'s serial number.' },
} as const;

/** The UID (userid) attribute type of RFC 4519. */
export const UID_OID = '0.9.2342.19200300.100.1.1';

/** Returns the attribute lists with empty entries and duplicates removed, order kept. */
export function cleanAttributes(input: SubjectAttributes): SubjectAttributes {
  const clean = (values: string[]) => [...new Set(values.map((value) => value.trim()).filter((value) => value !== ''))];
  return {
    ou: clean(input.ou),
    organization: clean(input.organization),
    country: clean(input.country),
    locality: clean(input.locality),
    province: clean(input.province),
    street_address: clean(input.street_address),
    postal_code: clean(input.postal_code),
  };
}

/**
 * Encodes a subject as @peculiar/x509's JSON name, one relative
 * distinguished name per attribute type, in the order Go's
 * `pkix.Name.ToRDNSequence` writes them, so Coffer's subjects read like Vault's.
 */
export function subjectName(subject: SubjectSpec): Record<string, string[]>[] {
  const rdns: Record<string, string[]>[] = [];
  const add = (oid: string, values: string[]) => {
    if (values.length > 0) rdns.push({ [oid]: values });
  };
  add('2.5.4.6', subject.country);
  add('2.5.4.8', subject.province);
  add('2.5.4.7', subject.locality);
  add('2.5.4.9', subject.street_address);
  add('2.5.4.17', subject.postal_code);
  add('2.5.4.10', subject.organization);
  add('2.5.4.11', subject.ou);
  if (subject.commonName !== '') add('2.5.4.3', [subject.commonName]);
  if (subject.serialNumber !== '') add('2.5.4.5', [subject.serialNumber]);
  // Go adds extra names such as UID last, each in a relative distinguished name of its own.
  for (const userId of subject.userIds ?? []) add(UID_OID, [userId]);
  return rdns;
}

/** The subject alternative names of a certificate, by kind. */
export interface AltNames {
  dnsNames: string[];
  emailAddresses: string[];
  ipAddresses: string[];
  uris: string[];
  /** otherName SANs; absent or empty for none. */
  otherNames?: OtherName[];
}

/**
 * Host names as Vault's `hostnameRegex` accepts them: dot-separated labels
 * of letters, digits and inner hyphens, an optional leading `*.` and an
 * optional trailing dot.
 */
export const HOSTNAME_PATTERN = /^(\*\.)?(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])\.?$/;

/**
 * Returns a DNS name in the form a certificate holds: an internationalized
 * name becomes its A-label (punycode) form, as Vault converts it, because a
 * dNSName is an IA5String of ASCII only. A name that does not convert is
 * returned unchanged, so that the host name checks reject it.
 */
export function asciiDnsName(name: string): string {
  if (/^[\x00-\x7f]*$/.test(name)) return name;
  const ascii = domainToASCII(name);
  return ascii === '' ? name : ascii;
}

/**
 * Sorts the common name and `alt_names` into DNS names and email addresses
 * the way Vault does: a name with "@" is an email address. The common name
 * becomes a DNS name only when it is a host name, and is left out when
 * `excludeCn` is set. DNS names are converted by {@link asciiDnsName}.
 */
export function splitNames(commonName: string, altNames: string[], excludeCn: boolean): { dnsNames: string[]; emailAddresses: string[] } {
  const dnsNames: string[] = [];
  const emailAddresses: string[] = [];
  const add = (name: string) => {
    const isEmail = name.includes('@');
    const list = isEmail ? emailAddresses : dnsNames;
    const value = isEmail ? name : asciiDnsName(name);
    if (!list.includes(value)) list.push(value);
  };
  if (commonName !== '' && !excludeCn && (commonName.includes('@') || HOSTNAME_PATTERN.test(asciiDnsName(commonName)))) add(commonName);
  for (const name of altNames) if (name !== '') add(name);
  return { dnsNames, emailAddresses };
}

/**
 * Checks IP addresses from `ip_sans` and returns them in the form the
 * certificate gets, duplicates removed. An IPv4-mapped IPv6 address becomes
 * the IPv4 address, as Go's x509 package (and so Vault) encodes it. Other
 * IPv6 addresses are rewritten in hex, because @peculiar/x509 encodes a
 * dotted IPv4 tail as the wrong bytes. Zone IDs (`fe80::1%eth0`) have no
 * encoding in a certificate and are rejected.
 * @throws CofferError (400) naming the field and the first invalid value.
 */
export function parseIpSans(field: string, values: string[]): string[] {
  const addresses: string[] = [];
  for (const value of values) {
    const version = isIP(value);
    if (version === 0 || value.includes('%')) throw invalidField(field, `the value "${value}" is not a valid IP address`);
    addresses.push(version === 4 ? value : canonicalIpv6(value));
  }
  return [...new Set(addresses)];
}

/** Returns an IPv6 address in compressed hex, or the IPv4 address it maps. */
function canonicalIpv6(value: string): string {
  const hex = new URL(`http://[${value}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(hex);
  if (mapped === null) return hex;

  const high = Number.parseInt(mapped[1]!, 16);
  const low = Number.parseInt(mapped[2]!, 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * Checks URIs from `uri_sans`: each must parse as an absolute URI.
 * @throws CofferError (400) naming the field and the first invalid value.
 */
export function parseUriSans(field: string, values: string[]): string[] {
  for (const value of values) {
    if (!URL.canParse(value)) throw invalidField(field, `the value "${value}" is not a valid URI`);
  }
  return [...new Set(values)];
}

/** Encodes subject alternative names as @peculiar/x509's JSON general names. */
export function generalNames(names: AltNames): { type: 'dns' | 'email' | 'ip' | 'url'; value: string }[] {
  return [
    ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...names.emailAddresses.map((value) => ({ type: 'email' as const, value })),
    ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
    ...names.uris.map((value) => ({ type: 'url' as const, value })),
  ];
}
