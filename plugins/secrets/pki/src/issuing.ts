/**
 * Issuing leaf certificates: the role checks of the requested names, the
 * certificate itself, its storage, and the response Vault returns.
 */
import { badRequest, globMatches, type Storage } from '@coffer/sdk';
import type { KeyObject } from 'node:crypto';
import { buildCertificate, signingKeyOf } from './certificate.js';
import type { PkiContext } from './context.js';
import { encodePrivateKey } from './keys.js';
import { firstDisallowedName, nameAllowed, uriAllowed } from './name-policy.js';
import { CONTROL_CHARACTER, disallowedOtherSan } from './other-sans.js';
import { encodeCertificate, encodeStoredPem } from './output.js';
import type { Role } from './roles.js';
import { formatSerial, generateSerialHex } from './serial.js';
import { readUrls, storeCertificate, type Signer } from './store.js';
import type { AltNames, SubjectSpec } from './subject.js';
import { certificateNotAfter, unixSeconds } from './ttl.js';
import { extKeyUsageOids, flagOids, keyUsageFlags } from './usages.js';
import { parseCertificatePem, type x509 } from './x509.js';

/** Vault's text for a request without a common name under a role that requires one. */
export const COMMON_NAME_REQUIRED =
  'the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false';

/**
 * Returns true when the role's cn_validations allow the common name: any
 * name with "disabled", else a name the role allows that is an email
 * address (with "email") or a host name (with "hostname").
 */
function commonNameAllowed(role: Role, commonName: string, displayName: string | undefined): boolean {
  if (role.cn_validations.includes('disabled')) return true;
  if (!nameAllowed(role, commonName, displayName)) return false;
  return role.cn_validations.includes(commonName.includes('@') ? 'email' : 'hostname');
}

/**
 * Checks the requested names against the role, in Vault's order: the
 * common name (even when it is left out of the SANs), DNS names, email
 * addresses, other SANs, IP addresses, then URIs. The role's identity
 * templates must already be rendered by `renderRoleTemplates`.
 * @param source - Where the SANs came from, "the API" or "CSR", for the messages.
 * @param displayName - The display name of the caller's token, for allow_token_displayname.
 * @throws CofferError (400) naming the first name the role rejects.
 */
export function checkNamesAgainstRole(role: Role, commonName: string, names: AltNames, source: 'the API' | 'CSR', displayName?: string): void {
  if (commonName === '' && role.require_cn) throw badRequest(COMMON_NAME_REQUIRED);
  if (commonName !== '' && !commonNameAllowed(role, commonName, displayName)) {
    throw badRequest(`common name ${commonName} not allowed by this role`);
  }
  const badDns = firstDisallowedName(role, names.dnsNames, displayName);
  if (badDns !== undefined) throw badRequest(`subject alternate name ${badDns} not allowed by this role`);
  const badEmail = firstDisallowedName(role, names.emailAddresses, displayName);
  if (badEmail !== undefined) throw badRequest(`email address ${badEmail} not allowed by this role`);
  const badOther = disallowedOtherSan(role.allowed_other_sans, names.otherNames ?? []);
  if (badOther !== undefined) throw badRequest(badOther);
  if (names.ipAddresses.length > 0 && !role.allow_ip_sans) {
    throw badRequest(`IP Subject Alternative Names are not allowed in this role, but was provided ${names.ipAddresses.join(', ')}`);
  }
  if (names.uris.length > 0 && role.allowed_uri_sans.length === 0) {
    throw badRequest(`URI Subject Alternative Names are not allowed in this role, but were provided via ${source}`);
  }
  const badUri = names.uris.find((uri) => !uriAllowed(role, uri));
  if (badUri !== undefined) throw badRequest(`URI Subject Alternative Name ${badUri} provided via ${source} is not allowed by this role`);
}

/**
 * Returns true when `value` matches one of `allowed`: "*" matches anything,
 * an entry with "*" is a glob, and any other entry must be equal.
 */
function matchesAllowed(allowed: string[], value: string): boolean {
  return allowed.some((entry) => (entry.includes('*') ? globMatches(entry, value) : entry === value));
}

/**
 * Checks the subject attributes a request sets against the role: the
 * serialNumber against allowed_serial_numbers and each UID against
 * allowed_user_ids. An empty list rejects every requested value, as in Vault.
 * A value with a control character such as NUL is always rejected, because
 * a C consumer would read it only up to the NUL.
 * @throws CofferError (400) naming the first value the role rejects.
 */
export function checkSubjectAgainstRole(role: Role, serialNumber: string, userIds: string[]): void {
  if (CONTROL_CHARACTER.test(serialNumber)) throw badRequest(`serial_number ${JSON.stringify(serialNumber)} contains a control character, which no role allows`);
  const controlled = userIds.find((userId) => CONTROL_CHARACTER.test(userId));
  if (controlled !== undefined) throw badRequest(`user_id ${JSON.stringify(controlled)} contains a control character, which no role allows`);
  if (serialNumber !== '' && !matchesAllowed(role.allowed_serial_numbers, serialNumber)) {
    throw badRequest(`serial_number ${serialNumber} not allowed by this role`);
  }
  const badUserId = userIds.find((userId) => !matchesAllowed(role.allowed_user_ids, userId));
  if (badUserId !== undefined) throw badRequest(`user_id ${badUserId} is not allowed by this role`);
}

/** Contents of a leaf certificate that the request decides. The role supplies the rest. */
export interface LeafSpec {
  subject: SubjectSpec | x509.Name;
  altNames: AltNames;
  /** Requested TTL in seconds, 0 for the default. */
  ttl: number;
  /** Requested expiry from `not_after`, in place of the TTL. */
  notAfter?: Date;
  publicKey: KeyObject;
  keyUsage: string[];
  extKeyUsageOids: string[];
  /** Checked policy_identifiers; absent for none. */
  policyIdentifiers?: string[];
}

/** An issued certificate with any warnings about its TTL. */
export interface IssuedCertificate {
  certificate: x509.X509Certificate;
  warnings: string[];
}

/**
 * Signs a leaf certificate with the mount's CA under the role's lifetime,
 * flags and subject settings, and stores it unless the role sets no_store.
 * @throws CofferError (400) when the TTL would outlast the CA.
 */
export async function issueLeaf(context: PkiContext, storage: Storage, signer: Signer, role: Role, spec: LeafSpec): Promise<IssuedCertificate> {
  const now = context.clock.now();
  const { notAfter, warnings } = certificateNotAfter({
    requested: spec.ttl,
    requestedNotAfter: spec.notAfter,
    roleTtl: role.ttl,
    roleMaxTtl: role.max_ttl,
    system: context.system,
    now,
    caNotAfter: signer.certificate.notAfter,
  });

  const certificate = await buildCertificate(
    {
      subject: spec.subject,
      altNames: spec.altNames,
      notBefore: new Date(now.getTime() - role.not_before_duration * 1000),
      notAfter,
      isCa: false,
      maxPathLength: -1,
      keyUsage: keyUsageFlags(spec.keyUsage),
      extKeyUsage: spec.extKeyUsageOids,
      basicConstraintsForNonCa: role.basic_constraints_valid_for_non_ca,
      permittedDnsDomains: [],
      urls: await readUrls(storage),
      publicKey: spec.publicKey,
      policyIdentifiers: spec.policyIdentifiers,
    },
    { ...signingKeyOf(signer), signatureBits: role.signature_bits, usePss: role.use_pss },
    generateSerialHex(),
  );

  if (!role.no_store) await storeCertificate(storage, formatSerial(certificate.serialNumber), encodeCertificate(certificate, 'pem'));
  return { certificate, warnings };
}

/** Returns the extended key usage OIDs of a role: its flags, names and OIDs. */
export function roleExtKeyUsageOids(role: Role): string[] {
  return extKeyUsageOids([], [...flagOids(role), ...extKeyUsageOids(role.ext_key_usage), ...role.ext_key_usage_oids]);
}

/**
 * Builds Vault's response to issue and sign: the certificate, the issuing
 * CA, the chain up to the root (without the root when `removeRoots`), the
 * serial number and expiration, and the private key when the engine made it.
 */
export function leafResponse(
  signer: Signer,
  issued: IssuedCertificate,
  options: { format: string; removeRoots: boolean; privateKey?: KeyObject; privateKeyFormat?: string },
): { data: Record<string, unknown>; warnings?: string[] } {
  const { format } = options;
  const chainPems = [signer.bundle.certificate, ...signer.bundle.ca_chain].filter((pem) => !(options.removeRoots && isSelfSigned(pem)));
  const chain = chainPems.map((pem) => encodeStoredPem(pem, format));
  const certificate = encodeCertificate(issued.certificate, format);
  const data: Record<string, unknown> = {
    certificate,
    issuing_ca: encodeStoredPem(signer.bundle.certificate, format),
    ca_chain: chain,
    serial_number: formatSerial(issued.certificate.serialNumber),
    expiration: unixSeconds(issued.certificate.notAfter),
  };
  if (options.privateKey !== undefined) {
    data.private_key = encodePrivateKey(options.privateKey, options.privateKeyFormat ?? 'der', format);
    data.private_key_type = options.privateKey.asymmetricKeyType;
  }
  if (format === 'pem_bundle') {
    data.certificate = [...(options.privateKey !== undefined ? [String(data.private_key)] : []), certificate, ...chain].join('\n');
  }
  return issued.warnings.length > 0 ? { data, warnings: issued.warnings } : { data };
}

function isSelfSigned(pem: string): boolean {
  const certificate = parseCertificatePem(pem);
  return certificate !== undefined && certificate.subject === certificate.issuer;
}
