/**
 * Roles: which names, key types, usages and lifetimes a certificate issued
 * or signed under the role may have. The fields and defaults are Vault's.
 */
import type { FieldData, Storage } from '@coffer/sdk';
import { checkSignatureBits, DEFAULT_NOT_BEFORE_SECONDS } from './ca-request.js';
import { invalidField } from './errors.js';
import { checkKeySpec } from './keys.js';
import { readJson, ROLE_PREFIX, writeJson } from './store.js';
import { cleanAttributes, SUBJECT_ATTRIBUTE_FIELDS, type SubjectAttributes } from './subject.js';
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
}

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
  not_before_duration: { type: 'duration', description: 'How far before now notBefore is set. Defaults to 30s.' },
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
  if (role.not_before_duration > MAX_NOT_BEFORE_SECONDS) {
    throw invalidField('not_before_duration', `${role.not_before_duration}s is more than the maximum of ${MAX_NOT_BEFORE_SECONDS}s (50 years)`);
  }
  return {
    ...role,
    // A certificate that is not stored cannot be revoked, so its lease could never be revoked either, as Vault reasons.
    generate_lease: role.no_store ? false : role.generate_lease,
    key_bits: keyBits,
    allowed_domains: role.allowed_domains.filter((domain) => domain !== ''),
    allowed_uri_sans: role.allowed_uri_sans.filter((uri) => uri !== ''),
    key_usage: checkKeyUsages('key_usage', role.key_usage),
    ext_key_usage: checkExtKeyUsages('ext_key_usage', role.ext_key_usage),
    ext_key_usage_oids: checkOids('ext_key_usage_oids', role.ext_key_usage_oids.filter((oid) => oid !== '')),
    ...cleanAttributes(role),
  };
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
