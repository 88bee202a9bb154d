/**
 * Roles: which names, key types, usages and lifetimes a certificate issued
 * or signed under the role may have. The fields and defaults are Vault's.
 */
import type { FieldData, Storage } from '@coffer/sdk';
import { checkSignatureBits, DEFAULT_NOT_BEFORE_SECONDS } from './ca-request.js';
import { invalidField } from './errors.js';
import { checkKeySpec } from './keys.js';
import { parseOtherSans } from './other-sans.js';
import { parsePolicyIdentifiers } from './policies.js';
import { checkIdentityTemplates } from './role-templates.js';
import { readJson, ROLE_PREFIX, writeJson } from './store.js';
import { cleanAttributes, SUBJECT_ATTRIBUTE_FIELDS, type SubjectAttributes } from './subject.js';
import { parseNotAfter } from './ttl.js';
import { checkExtKeyUsages, checkKeyUsages, checkOids, DEFAULT_KEY_USAGE } from './usages.js';

/** A stored role, in Vault's field names. Durations are seconds. */
export interface Role extends SubjectAttributes {
  ttl: number;
  max_ttl: number;
  allow_localhost: boolean;
  allowed_domains: string[];
  allow_bare_domains: boolean;
  allow_subdomains: boolean;
  allow_glob_domains: boolean;
  allow_wildcard_certificates: boolean;
  allow_any_name: boolean;
  enforce_hostnames: boolean;
  allow_ip_sans: boolean;
  allowed_uri_sans: string[];
  server_flag: boolean;
  client_flag: boolean;
  code_signing_flag: boolean;
  email_protection_flag: boolean;
  /** rsa, ec, ed25519, or any (only for signing CSRs). */
  key_type: string;
  key_bits: number;
  signature_bits: number;
  key_usage: string[];
  ext_key_usage: string[];
  ext_key_usage_oids: string[];
  use_csr_common_name: boolean;
  use_csr_sans: boolean;
  require_cn: boolean;
  basic_constraints_valid_for_non_ca: boolean;
  generate_lease: boolean;
  no_store: boolean;
  not_before_duration: number;
  /** The issuer that signs; always "default", since a mount has one CA. */
  issuer_ref: string;
  /** Whether identity templates such as `{{identity.entity.name}}` in allowed_domains are rendered for each caller. */
  allowed_domains_template: boolean;
  /** Whether identity templates in allowed_uri_sans are rendered for each caller. */
  allowed_uri_sans_template: boolean;
  /** Allowed otherName SANs as `<oid>;UTF8:<glob>`, or the single entry "*" for any. */
  allowed_other_sans: string[];
  /** Globs for the subject's serialNumber attribute; empty rejects every requested value. */
  allowed_serial_numbers: string[];
  /** Globs for UID subject attributes; empty rejects every requested value. */
  allowed_user_ids: string[];
  /** Deprecated in Vault: allow the token's display name, and its subdomains with allow_subdomains, as a name. */
  allow_token_displayname: boolean;
  /** Certificate policy OIDs, each a dotted OID or a JSON object with "oid", "cps" and "notice". */
  policy_identifiers: string[];
  /** Checks of the common name: ["email", "hostname"] (either may match) or ["disabled"]. */
  cn_validations: string[];
  /** Fixed expiry for every certificate, as a UTC time; empty for none. It takes the place of any TTL. */
  not_after: string;
  /** Sign with RSA-PSS in place of PKCS #1 v1.5 when the CA's key is RSA. */
  use_pss: boolean;
  /** Vault Enterprise's switch for certificate metadata; Coffer stores no metadata, so it only reads back. */
  no_store_metadata: boolean;
  /** Source of the subject serialNumber when signing: json-csr (the request, else the CSR) or json. */
  serial_number_source: string;
}

/** The only issuer reference a mount with one CA resolves. */
export const DEFAULT_ISSUER_REF = 'default';

/** Vault's default cn_validations: the common name may be an email address or a host name. */
export const DEFAULT_CN_VALIDATIONS = ['email', 'hostname'];

/** Returns a role with Vault's defaults. */
export function defaultRole(): Role {
  return {
    ttl: 0,
    max_ttl: 0,
    allow_localhost: true,
    allowed_domains: [],
    allow_bare_domains: false,
    allow_subdomains: false,
    allow_glob_domains: false,
    allow_wildcard_certificates: true,
    allow_any_name: false,
    enforce_hostnames: true,
    allow_ip_sans: true,
    allowed_uri_sans: [],
    server_flag: true,
    client_flag: true,
    code_signing_flag: false,
    email_protection_flag: false,
    key_type: 'rsa',
    key_bits: 0,
    signature_bits: 0,
    key_usage: [...DEFAULT_KEY_USAGE],
    ext_key_usage: [],
    ext_key_usage_oids: [],
    use_csr_common_name: true,
    use_csr_sans: true,
    require_cn: true,
    basic_constraints_valid_for_non_ca: false,
    generate_lease: false,
    no_store: false,
    not_before_duration: DEFAULT_NOT_BEFORE_SECONDS,
    issuer_ref: DEFAULT_ISSUER_REF,
    allowed_domains_template: false,
    allowed_uri_sans_template: false,
    allowed_other_sans: [],
    allowed_serial_numbers: [],
    allowed_user_ids: [],
    allow_token_displayname: false,
    policy_identifiers: [],
    cn_validations: [...DEFAULT_CN_VALIDATIONS],
    not_after: '',
    use_pss: false,
    no_store_metadata: false,
    serial_number_source: 'json-csr',
    ou: [],
    organization: [],
    country: [],
    locality: [],
    province: [],
    street_address: [],
    postal_code: [],
  };
}

/** Field declarations of a role; defaults live in {@link defaultRole}, so a patch can tell a sent field from an absent one. */
export const ROLE_FIELDS = {
  ttl: { type: 'duration', description: 'Default validity of certificates. 0 (the default) uses the mount\'s default lease TTL.' },
  max_ttl: { type: 'duration', description: 'Maximum validity of certificates. 0 (the default) uses the mount\'s max lease TTL.' },
  allow_localhost: { type: 'bool', description: 'Allow "localhost" and "localdomain" as names. Defaults to true.' },
  allowed_domains: { type: 'comma_string_slice', description: 'Domains whose names the role allows, as the allow_* settings describe.' },
  allow_bare_domains: { type: 'bool', description: 'Allow the allowed_domains themselves as names.' },
  allow_subdomains: { type: 'bool', description: 'Allow subdomains of allowed_domains, including wildcards.' },
  allow_glob_domains: { type: 'bool', description: 'Read "*" in allowed_domains as a glob, such as "ftp*.example.com".' },
  allow_wildcard_certificates: { type: 'bool', description: 'Allow wildcard names such as "*.example.com". Defaults to true.' },
  allow_any_name: { type: 'bool', description: 'Allow any name; enforce_hostnames still applies.' },
  enforce_hostnames: { type: 'bool', description: 'Allow only valid host names (and email addresses). Defaults to true.' },
  allow_ip_sans: { type: 'bool', description: 'Allow IP subject alternative names. Defaults to true.' },
  allowed_uri_sans: { type: 'comma_string_slice', description: 'URI subject alternative names the role allows; globs are accepted. Empty allows none.' },
  server_flag: { type: 'bool', description: 'Add the serverAuth extended key usage. Defaults to true.' },
  client_flag: { type: 'bool', description: 'Add the clientAuth extended key usage. Defaults to true.' },
  code_signing_flag: { type: 'bool', description: 'Add the codeSigning extended key usage.' },
  email_protection_flag: { type: 'bool', description: 'Add the emailProtection extended key usage.' },
  key_type: { type: 'string', description: 'Key type: rsa (the default), ec, ed25519, or any to sign CSRs of every type.' },
  key_bits: { type: 'int', description: 'Key size: 2048 (the rsa default), 3072, 4096 or 8192 for rsa; 256 (the ec default), 384 or 521 for ec. For signing, the minimum size.' },
  signature_bits: { type: 'int', description: 'Hash size of RSA signatures: 256 (the default), 384 or 512.' },
  key_usage: { type: 'comma_string_slice', description: 'Key usages, such as DigitalSignature, KeyAgreement and KeyEncipherment (the default).' },
  ext_key_usage: { type: 'comma_string_slice', description: 'Extended key usages besides the flags, such as ServerAuth or TimeStamping.' },
  ext_key_usage_oids: { type: 'comma_string_slice', description: 'Extended key usage OIDs to add, in dotted form.' },
  use_csr_common_name: { type: 'bool', description: 'When signing, take the common name from the CSR, not from common_name. Defaults to true.' },
  use_csr_sans: { type: 'bool', description: 'When signing, take the subject alternative names from the CSR. Defaults to true.' },
  require_cn: { type: 'bool', description: 'Require a common name. Defaults to true.' },
  basic_constraints_valid_for_non_ca: { type: 'bool', description: 'Add a basic constraints extension (CA false) to certificates.' },
  generate_lease: { type: 'bool', description: 'Issue each certificate under a lease that lasts until it expires; revoking the lease revokes the certificate.' },
  no_store: { type: 'bool', description: 'Do not store issued certificates; they cannot be listed or revoked by serial then.' },
  not_before_duration: {
    type: 'duration',
    description: 'How far before now notBefore is set. Defaults to 30s.',
    tooLong: (_raw: unknown, seconds: number) => notBeforeTooLong(seconds),
  },
  issuer_ref: { type: 'string', description: 'Issuer that signs certificates of the role. Only "default" (the default) is accepted, since a mount has one CA.' },
  allowed_domains_template: {
    type: 'bool',
    description: "Render identity templates such as {{identity.entity.name}} in allowed_domains with the caller's entity. An entry that cannot be rendered allows nothing.",
  },
  allowed_uri_sans_template: {
    type: 'bool',
    description: "Render identity templates such as {{identity.entity.aliases.<mount accessor>.name}} in allowed_uri_sans with the caller's entity. An entry that cannot be rendered allows nothing.",
  },
  allowed_other_sans: { type: 'comma_string_slice', description: 'Allowed otherName SANs as <oid>;UTF8:<value>, where the value may be a glob; "*" alone allows any.' },
  allowed_serial_numbers: { type: 'comma_string_slice', description: 'Globs of allowed values of the subject serialNumber attribute. Empty rejects every requested value.' },
  allowed_user_ids: { type: 'comma_string_slice', description: 'Globs of allowed UID subject attributes (user_ids); "*" allows any. Empty rejects every requested value.' },
  allow_token_displayname: { type: 'bool', description: 'Deprecated: allow the display name of the caller\'s token as a name, and its subdomains with allow_subdomains.' },
  policy_identifiers: { type: 'comma_string_slice', description: 'Certificate policy OIDs, as a list, or a JSON list of objects with "oid" and optional "cps" and "notice".' },
  cn_validations: { type: 'comma_string_slice', description: 'Checks of the common name: email, hostname (both, the default, allow either), or disabled alone to skip every check.' },
  not_after: { type: 'string', description: 'Fixed expiry of every certificate, as a UTC time such as 2030-01-02T03:04:05Z; it takes the place of ttl.' },
  use_pss: { type: 'bool', description: 'Sign with RSA-PSS in place of PKCS #1 v1.5 when the CA\'s key is RSA; ignored for EC and Ed25519 CAs.' },
  no_store_metadata: { type: 'bool', description: 'Accepted for Vault Enterprise compatibility; Coffer stores no certificate metadata.' },
  serial_number_source: { type: 'string', description: 'Source of the subject serialNumber when signing: json-csr (the default; the request, else the CSR) or json (the request only).' },
  ...SUBJECT_ATTRIBUTE_FIELDS,
} as const;

type RoleFields = FieldData<typeof ROLE_FIELDS>;

/**
 * Builds a role from the request: each sent field replaces the value of
 * `base`, which is {@link defaultRole} for a write and the stored role for
 * a patch. The result is checked as a whole.
 * @throws CofferError (400) naming the first invalid field.
 */
export function roleFromFields(fields: RoleFields, base: Role): Role {
  const role: Role = { ...base };
  for (const name of Object.keys(ROLE_FIELDS) as (keyof typeof ROLE_FIELDS)[]) {
    const value = fields.getIfSet(name);
    if (value !== undefined) (role as unknown as Record<string, unknown>)[name] = value;
  }
  // A JSON list of policy objects arrives as one string, which the list field would split at its commas.
  const policies = fields.raw.policy_identifiers;
  if (typeof policies === 'string' && policies.trim().startsWith('[')) role.policy_identifiers = [policies];
  return checkRole(role);
}

/** Returns the warnings a role write gets: Vault's for a `generate_lease` that `no_store` turns off. */
export function roleWarnings(fields: RoleFields, role: Role): string[] {
  if (fields.getIfSet('generate_lease') === true && role.no_store) {
    return ['generate_lease is false because no_store is true: a certificate that is not stored cannot be revoked through a lease'];
  }
  return [];
}

/** Returns the response to a role write: the role, with any warnings. */
export function roleResponse(fields: RoleFields, role: Role): { data: Record<string, unknown>; warnings?: string[] } {
  const warnings = roleWarnings(fields, role);
  return warnings.length > 0 ? { data: { ...role }, warnings } : { data: { ...role } };
}

/**
 * Largest not_before_duration, 50 years in seconds. It keeps notBefore after
 * 1950, where RFC 5280 time fields start, for any current date after 2000.
 * A duration of thousands of years made @peculiar/x509 write a time that
 * openssl reports as "Bad time value".
 */
export const MAX_NOT_BEFORE_SECONDS = 50 * 365 * 24 * 3600;

/**
 * Returns the error for a not_before_duration past MAX_NOT_BEFORE_SECONDS, for
 * checkRole and for the field parser, which rejects one past the longest Go
 * duration before checkRole runs.
 */
function notBeforeTooLong(seconds: number): string {
  return `${seconds}s is more than the maximum of ${MAX_NOT_BEFORE_SECONDS}s (50 years)`;
}

/**
 * Checks a role with Vault's rules and fills in the default key size.
 * @throws CofferError (400) naming the first invalid field.
 */
export function checkRole(role: Role): Role {
  if (role.max_ttl > 0 && role.ttl > role.max_ttl) {
    throw invalidField('ttl', `${role.ttl}s is larger than max_ttl ${role.max_ttl}s: ttl cannot be larger than max_ttl`);
  }
  const keyBits = role.key_type === 'any' ? 0 : checkKeySpec(role.key_type, role.key_bits).bits;
  if (role.key_type === 'any' && role.key_bits !== 0) {
    throw invalidField('key_bits', `${role.key_bits}: key_bits must be 0 when key_type is any`);
  }
  checkSignatureBits(role.signature_bits);
  if (role.not_before_duration > MAX_NOT_BEFORE_SECONDS) throw invalidField('not_before_duration', notBeforeTooLong(role.not_before_duration));
  const issuerRef = role.issuer_ref === '' ? DEFAULT_ISSUER_REF : role.issuer_ref;
  if (issuerRef !== DEFAULT_ISSUER_REF) {
    throw invalidField('issuer_ref', `issuer "${issuerRef}" not found: this mount has a single issuer, so the only reference is "default"`);
  }
  if (role.not_after !== '') parseNotAfter(role.not_after, 0);
  const serialNumberSource = role.serial_number_source === '' ? 'json-csr' : role.serial_number_source;
  if (!['json-csr', 'json'].includes(serialNumberSource)) {
    throw invalidField('serial_number_source', `unknown serial_number_source "${serialNumberSource}": use json-csr or json`);
  }
  const allowedOtherSans = nonEmpty(role.allowed_other_sans);
  if (!(allowedOtherSans.length === 1 && allowedOtherSans[0] === '*')) parseOtherSans('allowed_other_sans', allowedOtherSans);
  const allowedDomains = nonEmpty(role.allowed_domains);
  const allowedUriSans = nonEmpty(role.allowed_uri_sans);
  if (role.allowed_domains_template) checkIdentityTemplates('allowed_domains', allowedDomains);
  if (role.allowed_uri_sans_template) checkIdentityTemplates('allowed_uri_sans', allowedUriSans);

  return {
    ...role,
    issuer_ref: issuerRef,
    serial_number_source: serialNumberSource,
    allowed_other_sans: allowedOtherSans,
    allowed_serial_numbers: nonEmpty(role.allowed_serial_numbers),
    allowed_user_ids: nonEmpty(role.allowed_user_ids),
    policy_identifiers: parsePolicyIdentifiers('policy_identifiers', role.policy_identifiers),
    cn_validations: checkCnValidations(role.cn_validations),
    // A certificate that is not stored cannot be revoked, so its lease could never be revoked either, as Vault reasons.
    generate_lease: role.no_store ? false : role.generate_lease,
    key_bits: keyBits,
    allowed_domains: allowedDomains,
    allowed_uri_sans: allowedUriSans,
    key_usage: checkKeyUsages('key_usage', role.key_usage),
    ext_key_usage: checkExtKeyUsages('ext_key_usage', role.ext_key_usage),
    ext_key_usage_oids: checkOids('ext_key_usage_oids', role.ext_key_usage_oids.filter((oid) => oid !== '')),
    ...cleanAttributes(role),
  };
}

function nonEmpty(values: string[]): string[] {
  return values.filter((value) => value !== '');
}

/**
 * Checks cn_validations and returns them in Vault's normal form: the
 * aliases mail, mailbox, dns, disable and none become email, hostname and
 * disabled, and an empty list becomes the default.
 * @throws CofferError (400) for an unknown value, or disabled next to another.
 */
export function checkCnValidations(values: string[]): string[] {
  const aliases: Record<string, string> = {
    email: 'email',
    mail: 'email',
    mailbox: 'email',
    hostname: 'hostname',
    dns: 'hostname',
    disabled: 'disabled',
    disable: 'disabled',
    none: 'disabled',
  };
  const found = new Set<string>();
  for (const value of nonEmpty(values)) {
    const normal = aliases[value.toLowerCase()];
    if (normal === undefined) throw invalidField('cn_validations', `unknown value "${value}": use email, hostname or disabled`);
    found.add(normal);
  }
  if (found.size === 0) return [...DEFAULT_CN_VALIDATIONS];
  if (found.has('disabled') && found.size > 1) {
    throw invalidField('cn_validations', 'disabled cannot be combined with email or hostname');
  }
  return ['disabled', 'email', 'hostname'].filter((value) => found.has(value));
}

/** Reads a role, or `null` when none has the name. */
export async function readRole(storage: Storage, name: string): Promise<Role | null> {
  const stored = await readJson<Partial<Role>>(storage, ROLE_PREFIX + name);
  return stored === null ? null : { ...defaultRole(), ...stored };
}

/** Stores a role. */
export async function writeRole(storage: Storage, name: string, role: Role): Promise<void> {
  await writeJson(storage, ROLE_PREFIX + name, role);
}
