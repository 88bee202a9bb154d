/**
 * `certs/` (LIST) and `certs/:name` (create, read, update, delete): the
 * trusted certificates, each with its constraints and token settings.
 */
import {
  badRequest,
  definePath,
  describeTokenSettings,
  nameSegment,
  readTokenSettings,
  TOKEN_FIELDS,
  type FieldData,
  type FieldMap,
  type PathDefinition,
  type Request,
  type Response,
  type TokenSettings,
} from '@coffer/sdk';
import { id_kp_clientAuth, anyExtendedKeyUsage } from '@peculiar/asn1-x509';
import { deleteCert, listCerts, parseCertificatePem, readCert, writeCert, type CertEntry } from './certs.js';
import { isObjectIdentifier, parseRequiredExtension } from './constraints.js';
import type { CertContext } from './context.js';

const GLOB_NOTE = 'Comma-separated list or array of glob patterns in which "*" matches any run of characters; empty allows all.';

// NOTE: Vault's OCSP fields (ocsp_enabled, ocsp_ca_certificates,
// ocsp_servers_override, ocsp_fail_open, ocsp_query_all_servers) are not
// supported, nor are its deprecated lease, ttl, max_ttl, period and
// bound_cidrs fields. A request that sends one is rejected as an unknown field.
const CERT_FIELDS = {
  name: { type: 'lowercase_string', description: 'Name of the trusted certificate entry, stored in lowercase.', required: true },
  certificate: { type: 'string', description: 'PEM-encoded CA certificate, or a client certificate trusted by itself. Required when creating the entry.' },
  display_name: { type: 'string', description: 'Display name of tokens issued through this entry. Defaults to the entry name.' },
  allowed_names: { type: 'comma_string_slice', description: `Deprecated: names matched against the common name, DNS SANs and email SANs. ${GLOB_NOTE}` },
  allowed_common_names: { type: 'comma_string_slice', description: `Allowed subject common names. ${GLOB_NOTE}` },
  allowed_dns_sans: { type: 'comma_string_slice', description: `Allowed DNS subject alternative names. ${GLOB_NOTE}` },
  allowed_email_sans: { type: 'comma_string_slice', description: `Allowed email subject alternative names. ${GLOB_NOTE}` },
  allowed_uri_sans: { type: 'comma_string_slice', description: `Allowed URI subject alternative names. ${GLOB_NOTE}` },
  allowed_organizational_units: { type: 'comma_string_slice', description: `Allowed organizational units of the subject. ${GLOB_NOTE}` },
  required_extensions: {
    type: 'comma_string_slice',
    description: 'Extensions the client certificate must carry, each "oid:value" (the value read as an ASN.1 string) or "hex:oid:value" (the hex of the DER value); the value is a glob.',
  },
  allowed_metadata_extensions: {
    type: 'comma_string_slice',
    description: 'Extension OIDs copied into the login metadata when present, keyed by the OID with "-" for ".".',
  },
  ...TOKEN_FIELDS,
} as const;

type CertFields = FieldData<typeof CERT_FIELDS>;

export function pathCertsList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'certs/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = await listCerts(request.storage);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the trusted certificate entries.',
    helpDescription: 'Returns the lowercased names of all trusted certificate entries of this mount.',
  });
}

export function pathCerts(context: CertContext): PathDefinition<FieldMap> {
  const write = (request: Request, fields: CertFields) => writeCertEntry(context, request, fields);
  return definePath({
    pattern: `certs/${nameSegment('name')}`,
    fields: CERT_FIELDS,
    // Without an existence check every write is an update, as in Vault, so a
    // policy with the update capability may create entries.
    operations: {
      update: write,
      read: async (request, fields) => {
        const entry = await readCert(request.storage, fields.get('name'));
        return entry === null ? null : { data: describeCert(entry) };
      },
      delete: async (request, fields) => {
        const name = fields.get('name');
        await context.locks.run(`cert/${name}`, () => deleteCert(request.storage, name));
        return null;
      },
    },
    helpSynopsis: 'Create, read, update or delete a trusted certificate entry.',
    helpDescription: `
A client logs in at login with a certificate that chains to the entry's CA
certificate (or equals the entry's client certificate) and meets every
allowed_* and required_extensions constraint. Deleting an entry does not
revoke tokens it already issued, but their renewal then fails.`,
  });
}

/**
 * Creates the entry or updates the fields the request sets. A new entry
 * needs a certificate; every field is checked before anything is stored.
 */
async function writeCertEntry(context: CertContext, request: Request, fields: CertFields): Promise<Response | null> {
  const name = fields.get('name');
  return context.locks.run(`cert/${name}`, async () => {
    const existing = await readCert(request.storage, name);
    const certificate = fields.getIfSet('certificate') ?? existing?.certificate;
    if (certificate === undefined || certificate.trim() === '') {
      throw badRequest(`missing "certificate": set a PEM-encoded CA or client certificate for entry "${name}"`);
    }
    checkCertificate(certificate);
    const lists = readConstraintLists(fields, existing);
    const settings = parseTokenSettings(fields, existing ?? undefined);

    const displayName = fields.getIfSet('display_name') ?? existing?.displayName ?? '';
    const entry: CertEntry = { ...settings, ...lists, name, certificate, displayName: displayName === '' ? name : displayName };
    await writeCert(request.storage, entry);

    const warnings = ttlWarnings(context, settings);
    return warnings.length === 0 ? null : { warnings };
  });
}

/**
 * Checks that the PEM text contains certificates and that a client
 * certificate trusted by itself allows client authentication, as Vault does.
 * @throws CofferError (400) naming the field.
 */
function checkCertificate(pem: string): void {
  const certificates = parseCertificatePem(pem);
  if (certificates.length === 0) {
    throw badRequest('invalid "certificate": failed to parse certificate, expected one or more PEM blocks of type "CERTIFICATE"');
  }
  const first = certificates[0];
  const usages = first.extendedKeyUsage;
  if (!first.isCa && usages !== undefined && !usages.includes(id_kp_clientAuth) && !usages.includes(anyExtendedKeyUsage)) {
    throw badRequest('invalid "certificate": nonCA certificates should have TLS client authentication set as an extended key usage');
  }
}

type ConstraintLists = Pick<
  CertEntry,
  | 'allowedNames'
  | 'allowedCommonNames'
  | 'allowedDnsSans'
  | 'allowedEmailSans'
  | 'allowedUriSans'
  | 'allowedOrganizationalUnits'
  | 'requiredExtensions'
  | 'allowedMetadataExtensions'
>;

/** Reads the constraint lists over the entry's current ones. @throws CofferError (400) for a malformed extension entry. */
function readConstraintLists(fields: CertFields, existing: CertEntry | null): ConstraintLists {
  const lists: ConstraintLists = {
    allowedNames: fields.getIfSet('allowed_names') ?? existing?.allowedNames ?? [],
    allowedCommonNames: fields.getIfSet('allowed_common_names') ?? existing?.allowedCommonNames ?? [],
    allowedDnsSans: fields.getIfSet('allowed_dns_sans') ?? existing?.allowedDnsSans ?? [],
    allowedEmailSans: fields.getIfSet('allowed_email_sans') ?? existing?.allowedEmailSans ?? [],
    allowedUriSans: fields.getIfSet('allowed_uri_sans') ?? existing?.allowedUriSans ?? [],
    allowedOrganizationalUnits: fields.getIfSet('allowed_organizational_units') ?? existing?.allowedOrganizationalUnits ?? [],
    requiredExtensions: fields.getIfSet('required_extensions') ?? existing?.requiredExtensions ?? [],
    allowedMetadataExtensions: fields.getIfSet('allowed_metadata_extensions') ?? existing?.allowedMetadataExtensions ?? [],
  };
  for (const required of lists.requiredExtensions) {
    if (parseRequiredExtension(required) === undefined) {
      throw badRequest(`invalid "required_extensions" entry "${required}": expected "oid:value" or "hex:oid:value", such as "1.2.3.4:prod-*"`);
    }
  }
  for (const oid of lists.allowedMetadataExtensions) {
    if (!isObjectIdentifier(oid)) throw badRequest(`invalid "allowed_metadata_extensions" entry "${oid}": expected a dotted OID such as "1.2.3.4"`);
  }
  return lists;
}

/** Reads the `token_*` fields over `existing`. @throws CofferError (400) naming the invalid field. */
function parseTokenSettings(fields: FieldData<FieldMap>, existing?: TokenSettings): TokenSettings {
  try {
    return readTokenSettings(fields, existing);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

/** Vault's warnings for TTLs beyond the mount's limits, which the server caps at login. */
function ttlWarnings(context: CertContext, settings: TokenSettings): string[] {
  const warnings: string[] = [];
  const defaultTtl = context.system.defaultLeaseTtl();
  const maxTtl = context.system.maxLeaseTtl();
  if (settings.tokenTtl > defaultTtl) {
    warnings.push(`Given ttl of ${settings.tokenTtl} seconds is greater than current mount/system default of ${defaultTtl} seconds`);
  }
  if (settings.tokenMaxTtl > maxTtl) {
    warnings.push(`Given max_ttl of ${settings.tokenMaxTtl} seconds is greater than current mount/system default of ${maxTtl} seconds`);
  }
  if (settings.tokenPeriod > maxTtl) {
    warnings.push(`Given period of ${settings.tokenPeriod} seconds is greater than the backend's maximum TTL of ${maxTtl} seconds`);
  }
  return warnings;
}

/** Returns the entry as Vault's read endpoint reports it. */
function describeCert(entry: CertEntry): Record<string, unknown> {
  return {
    certificate: entry.certificate,
    display_name: entry.displayName,
    allowed_names: entry.allowedNames,
    allowed_common_names: entry.allowedCommonNames,
    allowed_dns_sans: entry.allowedDnsSans,
    allowed_email_sans: entry.allowedEmailSans,
    allowed_uri_sans: entry.allowedUriSans,
    allowed_organizational_units: entry.allowedOrganizationalUnits,
    required_extensions: entry.requiredExtensions,
    allowed_metadata_extensions: entry.allowedMetadataExtensions,
    ...describeTokenSettings(entry),
  };
}
