/**
 * `issue/:role`, `sign/:role` and `sign-verbatim(/:role)`: certificates
 * under a role, with a key the engine generates or one from a CSR.
 */
import { badRequest, definePath, nameSegment, secretResponse, type FieldData, type FieldMap, type PathDefinition, type Response, type SecretType, type Storage } from '@coffer/sdk';
import { FORMAT_FIELD, NOT_AFTER_FIELD, PRIVATE_KEY_FORMAT_FIELD, TTL_FIELD } from './ca-request.js';
import type { PkiContext } from './context.js';
import { checkCsrKey, parseCsr } from './csr.js';
import { unknownRole } from './errors.js';
import { checkNamesAgainstRole, checkSubjectAgainstRole, issueLeaf, leafResponse, roleExtKeyUsageOids, type IssuedCertificate } from './issuing.js';
import { checkKeySpec, generateKey } from './keys.js';
import { parseOtherSans } from './other-sans.js';
import { renderRoleTemplates } from './role-templates.js';
import { defaultRole, readRole, type Role } from './roles.js';
import { requireSigner } from './store.js';
import { requestedNotAfter } from './ttl.js';
import { NAME_FIELDS, parseIpSans, parseUriSans, splitNames, type AltNames, type SubjectSpec } from './subject.js';
import { checkExtKeyUsages, checkKeyUsages, checkOids, DEFAULT_KEY_USAGE, extKeyUsageOids } from './usages.js';

const ROLE_FIELD = { role: { type: 'string', description: 'Name of the role to issue under.' } } as const;

/** Request fields for names that only roles check: otherName SANs and UID subject attributes. */
const ROLE_NAME_FIELDS = {
  other_sans: { type: 'comma_string_slice', description: 'otherName SANs as <oid>;UTF8:<value>, as the role\'s allowed_other_sans allow.' },
  user_ids: { type: 'comma_string_slice', description: 'UID attributes of the subject, as the role\'s allowed_user_ids allow.' },
} as const;

const ISSUE_FIELDS = {
  ...ROLE_FIELD,
  ...NAME_FIELDS,
  ...ROLE_NAME_FIELDS,
  ttl: TTL_FIELD,
  not_after: NOT_AFTER_FIELD,
  format: FORMAT_FIELD,
  private_key_format: PRIVATE_KEY_FORMAT_FIELD,
  remove_roots_from_chain: { type: 'bool', description: 'Leave self-signed roots out of ca_chain.' },
} as const;

const SIGN_FIELDS = {
  ...ROLE_FIELD,
  ...NAME_FIELDS,
  ...ROLE_NAME_FIELDS,
  csr: { type: 'string', required: true, description: 'PEM certificate signing request.' },
  ttl: TTL_FIELD,
  not_after: NOT_AFTER_FIELD,
  format: FORMAT_FIELD,
  remove_roots_from_chain: { type: 'bool', description: 'Leave self-signed roots out of ca_chain.' },
} as const;

const VERBATIM_FIELDS = {
  role: { type: 'string', description: 'Optional role whose ttl, max_ttl, not_after, no_store and signature settings (signature_bits, use_pss) apply.' },
  csr: { type: 'string', required: true, description: 'PEM certificate signing request; its subject and names are copied as they are.' },
  key_usage: { type: 'comma_string_slice', default: DEFAULT_KEY_USAGE, description: 'Key usages of the certificate.' },
  ext_key_usage: { type: 'comma_string_slice', description: 'Extended key usages of the certificate, such as ServerAuth.' },
  ext_key_usage_oids: { type: 'comma_string_slice', description: 'Extended key usage OIDs of the certificate, in dotted form.' },
  ttl: TTL_FIELD,
  not_after: NOT_AFTER_FIELD,
  format: FORMAT_FIELD,
  remove_roots_from_chain: { type: 'bool', description: 'Leave self-signed roots out of ca_chain.' },
} as const;

async function loadRole(storage: Storage, name: string): Promise<Role> {
  const role = await readRole(storage, name);
  if (role === null) throw unknownRole(name);
  return role;
}

/** Returns the SANs the request sends, checked for syntax. */
function requestedAltNames(fields: FieldData<typeof NAME_FIELDS & typeof ROLE_NAME_FIELDS>, commonName: string, altNames: string[]): AltNames {
  return {
    ...splitNames(commonName, altNames, fields.get('exclude_cn_from_sans')),
    ipAddresses: parseIpSans('ip_sans', fields.get('ip_sans')),
    uris: parseUriSans('uri_sans', fields.get('uri_sans')),
    otherNames: parseOtherSans('other_sans', fields.get('other_sans')),
  };
}

function roleSubject(role: Role, commonName: string, serialNumber: string, userIds: string[]): SubjectSpec {
  return {
    commonName,
    serialNumber,
    userIds: [...new Set(userIds)],
    ou: role.ou,
    organization: role.organization,
    country: role.country,
    locality: role.locality,
    province: role.province,
    street_address: role.street_address,
    postal_code: role.postal_code,
  };
}

/**
 * Returns the response for an issued certificate: under a lease of `secret`
 * when the role sets `generate_lease`, as in Vault. The lease lasts until the
 * certificate expires and cannot be renewed; revoking it revokes the
 * certificate. The lease keeps the response data, private key included,
 * encrypted in storage until it ends.
 */
function issuedResponse(secret: SecretType, role: Role, issued: IssuedCertificate, leaf: ReturnType<typeof leafResponse>, now: Date): Response {
  if (!role.generate_lease) return leaf;
  const ttl = Math.max(1, Math.floor((issued.certificate.notAfter.getTime() - now.getTime()) / 1000));
  return secretResponse(secret, leaf.data, { serial_number: leaf.data.serial_number }, { ttl, renewable: false, ...(leaf.warnings !== undefined ? { warnings: leaf.warnings } : {}) });
}

export function pathIssue(context: PkiContext, secret: SecretType): PathDefinition<FieldMap> {
  return definePath({
    pattern: `issue/${nameSegment('role')}`,
    fields: ISSUE_FIELDS,
    operations: {
      update: async (request, fields) => {
        const role = await loadRole(request.storage, fields.get('role'));
        const notAfter = requestedNotAfter(role.not_after, fields.get('not_after'), fields.get('ttl'));
        if (role.key_type === 'any') throw badRequest('role key type "any" not allowed for issuing certificates, only signing');
        const commonName = fields.get('common_name').trim();
        const altNames = requestedAltNames(fields, commonName, fields.get('alt_names'));
        const namingRole = await renderRoleTemplates(role, fields.get('role'), request, context);
        checkNamesAgainstRole(namingRole, commonName, altNames, 'the API', request.displayName);
        checkSubjectAgainstRole(role, fields.get('serial_number'), fields.get('user_ids'));
        const signer = await requireSigner(request.storage);

        const privateKey = await generateKey(checkKeySpec(role.key_type, role.key_bits));
        const issued = await issueLeaf(context, request.storage, signer, role, {
          subject: roleSubject(role, commonName, fields.get('serial_number'), fields.get('user_ids')),
          altNames,
          ttl: fields.get('ttl'),
          notAfter,
          publicKey: privateKey,
          keyUsage: role.key_usage,
          extKeyUsageOids: roleExtKeyUsageOids(role),
          policyIdentifiers: role.policy_identifiers,
        });
        const leaf = leafResponse(signer, issued, {
          format: fields.get('format'),
          removeRoots: fields.get('remove_roots_from_chain'),
          privateKey,
          privateKeyFormat: fields.get('private_key_format'),
        });
        return issuedResponse(secret, role, issued, leaf, context.clock.now());
      },
    },
    helpSynopsis: 'Issue a certificate and a new private key under a role.',
    helpDescription: `
Generates a key of the role's type and a certificate for the requested names,
if the role allows every one of them. The private key is in this response and
nowhere else, unless the role sets generate_lease: the lease then keeps a copy
of the response, encrypted in storage, until it ends.`,
  });
}

export function pathSign(context: PkiContext, secret: SecretType): PathDefinition<FieldMap> {
  return definePath({
    pattern: `sign/${nameSegment('role')}`,
    fields: SIGN_FIELDS,
    operations: {
      update: async (request, fields) => {
        const role = await loadRole(request.storage, fields.get('role'));
        const notAfter = requestedNotAfter(role.not_after, fields.get('not_after'), fields.get('ttl'));
        const csr = await parseCsr(fields.get('csr'));
        checkCsrKey(role, csr.publicKey);
        const commonName = role.use_csr_common_name ? csr.commonName : fields.get('common_name').trim();
        const altNames = role.use_csr_sans
          ? {
              ...splitNames(commonName, [...csr.altNames.dnsNames, ...csr.altNames.emailAddresses], fields.get('exclude_cn_from_sans')),
              ipAddresses: csr.altNames.ipAddresses,
              uris: csr.altNames.uris,
              otherNames: csr.altNames.otherNames,
            }
          : requestedAltNames(fields, commonName, fields.get('alt_names'));
        const namingRole = await renderRoleTemplates(role, fields.get('role'), request, context);
        checkNamesAgainstRole(namingRole, commonName, altNames, role.use_csr_sans ? 'CSR' : 'the API', request.displayName);
        // With serial_number_source json-csr (the default) the CSR's serialNumber is the fallback, and json ignores it.
        const requestedSerial = fields.get('serial_number');
        const serialNumber = requestedSerial === '' && role.serial_number_source === 'json-csr' ? csr.serialNumber : requestedSerial;
        // UIDs in the CSR's subject count with use_csr_common_name, the setting that takes the CSR's subject.
        const userIds = [...(role.use_csr_common_name ? csr.userIds : []), ...fields.get('user_ids')];
        checkSubjectAgainstRole(role, serialNumber, userIds);
        const signer = await requireSigner(request.storage);

        const issued = await issueLeaf(context, request.storage, signer, role, {
          subject: roleSubject(role, commonName, serialNumber, userIds),
          altNames,
          ttl: fields.get('ttl'),
          notAfter,
          publicKey: csr.publicKey,
          keyUsage: role.key_usage,
          extKeyUsageOids: roleExtKeyUsageOids(role),
          policyIdentifiers: role.policy_identifiers,
        });
        const leaf = leafResponse(signer, issued, { format: fields.get('format'), removeRoots: fields.get('remove_roots_from_chain') });
        return issuedResponse(secret, role, issued, leaf, context.clock.now());
      },
    },
    helpSynopsis: 'Sign a CSR under a role.',
    helpDescription: `
Signs the CSR's public key into a certificate for the names the role allows.
With use_csr_common_name and use_csr_sans (both on by default) the names come
from the CSR, else from common_name and alt_names. The key must be of the
role's key_type and at least key_bits long.`,
  });
}

export function pathSignVerbatim(context: PkiContext, secret: SecretType): PathDefinition<FieldMap> {
  return definePath({
    pattern: `sign-verbatim(?:/${nameSegment('role')})?`,
    fields: VERBATIM_FIELDS,
    operations: {
      update: async (request, fields) => {
        const roleName = fields.get('role');
        const role = roleName === '' ? defaultRole() : await loadRole(request.storage, roleName);
        const keyUsage = checkKeyUsages('key_usage', fields.get('key_usage'));
        const extKeyUsage = checkExtKeyUsages('ext_key_usage', fields.get('ext_key_usage'));
        const extOids = checkOids('ext_key_usage_oids', fields.get('ext_key_usage_oids'));
        const notAfter = requestedNotAfter(role.not_after, fields.get('not_after'), fields.get('ttl'));
        const csr = await parseCsr(fields.get('csr'));
        const signer = await requireSigner(request.storage);

        const issued = await issueLeaf(context, request.storage, signer, role, {
          subject: csr.request.subjectName,
          altNames: csr.altNames,
          ttl: fields.get('ttl'),
          notAfter,
          publicKey: csr.publicKey,
          keyUsage,
          extKeyUsageOids: extKeyUsageOids(extKeyUsage, extOids),
        });
        const leaf = leafResponse(signer, issued, { format: fields.get('format'), removeRoots: fields.get('remove_roots_from_chain') });
        return issuedResponse(secret, role, issued, leaf, context.clock.now());
      },
    },
    helpSynopsis: 'Sign a CSR as it is, without role checks of its names.',
    helpDescription: `
Signs the CSR with its subject and subject alternative names copied verbatim.
No name policy applies, so only trusted operators should reach this path. A
role, when named, supplies ttl, max_ttl, not_after, no_store and signature
settings.`,
  });
}
