/**
 * The constraints of a trusted certificate entry that a client certificate
 * must meet, checked as Vault's cert method does. Each `allowed_*` list
 * that is set needs at least one glob match. Every required extension must
 * be present with a matching value.
 */
import { globMatches } from '@coffer/sdk';
import type { CertEntry } from './certs.js';
import { extensionText, type ParsedCertificate } from './x509.js';

/** Returns true when the client certificate meets every name and extension constraint of `entry`. */
export function matchesConstraints(client: ParsedCertificate, entry: CertEntry): boolean {
  return (
    anyMatch(entry.allowedNames, [client.commonName, ...client.dnsNames, ...client.emailAddresses]) &&
    anyMatch(entry.allowedCommonNames, [client.commonName]) &&
    anyMatch(entry.allowedDnsSans, client.dnsNames) &&
    anyMatch(entry.allowedEmailSans, client.emailAddresses) &&
    anyMatch(entry.allowedUriSans, client.uris) &&
    anyMatch(entry.allowedOrganizationalUnits, client.organizationalUnits) &&
    entry.requiredExtensions.every((required) => hasExtension(client, required))
  );
}

/** An empty pattern list allows every name; otherwise one pattern must match one name. */
function anyMatch(patterns: string[], names: string[]): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((pattern) => names.some((name) => globMatches(pattern, name)));
}

/**
 * Checks one `required_extensions` entry: `oid:value` globs the extension's
 * value read as an ASN.1 string, and `hex:oid:value` globs the lowercase hex
 * of its DER value.
 */
function hasExtension(client: ParsedCertificate, required: string): boolean {
  const parsed = parseRequiredExtension(required);
  if (parsed === undefined) return false;
  const value = client.extensions.get(parsed.oid);
  if (value === undefined) return false;
  const text = parsed.hex ? value.toString('hex') : extensionText(value);
  return globMatches(parsed.pattern, text);
}

const OID_PATTERN = /^[0-2](\.(0|[1-9]\d*))+$/;

/**
 * Splits a `required_extensions` entry into its OID and value pattern;
 * returns undefined when it has neither form.
 */
export function parseRequiredExtension(entry: string): { oid: string; pattern: string; hex: boolean } | undefined {
  const hex = entry.startsWith('hex:');
  const rest = hex ? entry.slice('hex:'.length) : entry;
  const separator = rest.indexOf(':');
  if (separator === -1) return undefined;
  const oid = rest.slice(0, separator);
  if (!OID_PATTERN.test(oid)) return undefined;
  const pattern = rest.slice(separator + 1);
  return { oid, pattern: hex ? pattern.toLowerCase() : pattern, hex };
}

/** Returns true for a dotted object identifier such as `1.3.6.1.4.1.311`. */
export function isObjectIdentifier(text: string): boolean {
  return OID_PATTERN.test(text);
}

/**
 * Returns the login metadata for the `allowed_metadata_extensions` the
 * client certificate carries: the key is the OID with `-` for `.`, so that
 * ACL templates can name it, and the value is the extension read as an
 * ASN.1 string.
 */
export function extensionMetadata(client: ParsedCertificate, oids: string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const oid of oids) {
    const value = client.extensions.get(oid);
    if (value !== undefined) metadata[oid.replaceAll('.', '-')] = extensionText(value);
  }
  return metadata;
}
