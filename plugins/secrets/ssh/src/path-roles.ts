/**
 * `roles/` and `roles/:role`: list, write, read and delete CA roles.
 */
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { invalidField } from './errors.js';
import type { SshContext } from './context.js';
import { checkRoleTemplates } from './role-templates.js';
import { ALGORITHM_SIGNERS, describeRole, keyLengths, readRole, ROLE_PREFIX, stringMap, writeRole, type Role } from './role.js';

/** Vault's default backdating of valid_after, for clocks that run behind. */
const DEFAULT_NOT_BEFORE_SECONDS = 30;

const ROLE_FIELDS = {
  role: { type: 'string', description: 'Name of the role.' },
  key_type: { type: 'string', description: 'Required. Type of credential the role signs. Only "ca" is supported: Coffer has no OTP or dynamic key mode.' },
  allow_user_certificates: { type: 'bool', description: 'Allow signing user certificates. This or allow_host_certificates must be true.' },
  allow_host_certificates: { type: 'bool', description: 'Allow signing host certificates. This or allow_user_certificates must be true.' },
  allowed_users: {
    type: 'string',
    description: 'Comma-separated principals user certificates may name, or "*" for any. Empty allows none.',
  },
  default_user: { type: 'string', description: 'Principal of a user certificate when the request names none. It must also be in allowed_users.' },
  allowed_domains: { type: 'string', description: 'Comma-separated domains host certificates may name, or "*" for any. See allow_bare_domains and allow_subdomains.' },
  allow_bare_domains: { type: 'bool', description: 'Allow host certificates for the domains of allowed_domains themselves.' },
  allow_subdomains: { type: 'bool', description: 'Allow host certificates for subdomains of the domains of allowed_domains.' },
  allow_empty_principals: {
    type: 'bool',
    description: 'Allow certificates without principals, which OpenSSH accepts for every user or host. Off by default.',
  },
  allowed_critical_options: { type: 'string', description: 'Comma-separated critical options a request may set. Empty allows any.' },
  allowed_extensions: { type: 'string', description: 'Comma-separated extensions a request may set, or "*" for any. Empty allows none.' },
  default_critical_options: { type: 'map', description: 'Critical options of certificates whose request sets none, as name and string value pairs.' },
  default_extensions: { type: 'map', description: 'Extensions of certificates whose request sets none, such as {"permit-pty": ""}.' },
  ttl: { type: 'duration', description: 'Validity of certificates whose request sets no ttl. 0 uses the mount default lease TTL.' },
  max_ttl: { type: 'duration', description: 'Maximum validity a request may get. 0 uses the mount maximum lease TTL.' },
  not_before_duration: {
    type: 'duration',
    default: DEFAULT_NOT_BEFORE_SECONDS,
    description: 'How far before the signing time certificates become valid, for clock skew. Defaults to 30s.',
  },
  algorithm_signer: {
    type: 'string',
    default: 'default',
    allowedValues: ['', ...ALGORITHM_SIGNERS],
    description: 'Signature algorithm of an RSA CA: ssh-rsa (SHA-1), rsa-sha2-256 or rsa-sha2-512. "default" (or empty) is rsa-sha2-256 for RSA and the only choice for other CA keys.',
  },
  key_id_format: {
    type: 'string',
    description: 'Key ID template with {{token_display_name}}, {{role_name}} and {{public_key_hash}} (SHA-256 hex of the key). Empty uses vault-{{token_display_name}}-{{public_key_hash}}.',
  },
  allow_user_key_ids: { type: 'bool', description: 'Allow requests to set key_id. When false the key ID comes from key_id_format.' },
  allowed_user_key_lengths: {
    type: 'map',
    description: 'Key types and sizes in bits that may be signed, such as {"rsa": [3072, 4096], "ec": 256, "ed25519": 0}. Empty allows every key.',
  },
  allowed_users_template: {
    type: 'bool',
    description: "Render identity templates such as {{identity.entity.aliases.<mount accessor>.name}} in allowed_users with the caller's entity.",
  },
  allowed_domains_template: { type: 'bool', description: "Render identity templates in allowed_domains with the caller's entity." },
  default_user_template: { type: 'bool', description: "Render an identity template in default_user, such as ssh-{{identity.entity.name}}, with the caller's entity." },
  default_extensions_template: { type: 'bool', description: "Render identity templates in the values of default_extensions with the caller's entity." },
} as const;

/**
 * Builds a role from a write request. A write replaces the whole role, as
 * in Vault: fields it leaves out take their defaults.
 * @throws CofferError (400) naming the first field that is wrong.
 */
export function roleFromFields(fields: FieldData<typeof ROLE_FIELDS>): Role {
  const keyType = fields.get('key_type').toLowerCase();
  if (keyType === '') throw badRequest('missing field "key_type": set it to "ca"');
  if (keyType === 'otp' || keyType === 'dynamic') {
    throw invalidField('key_type', `"${keyType}" roles are not supported: Coffer's ssh engine only signs certificates, so use "ca"`);
  }
  if (keyType !== 'ca') throw invalidField('key_type', `unknown key type "${keyType}": use "ca"`);

  const role: Role = {
    key_type: 'ca',
    allow_user_certificates: fields.get('allow_user_certificates'),
    allow_host_certificates: fields.get('allow_host_certificates'),
    allowed_users: fields.get('allowed_users'),
    default_user: fields.get('default_user'),
    allowed_domains: fields.get('allowed_domains'),
    allow_subdomains: fields.get('allow_subdomains'),
    allow_bare_domains: fields.get('allow_bare_domains'),
    allow_empty_principals: fields.get('allow_empty_principals'),
    allowed_critical_options: fields.get('allowed_critical_options'),
    allowed_extensions: fields.get('allowed_extensions'),
    default_critical_options: stringMap('default_critical_options', fields.get('default_critical_options')),
    default_extensions: stringMap('default_extensions', fields.get('default_extensions')),
    ttl: fields.get('ttl'),
    max_ttl: fields.get('max_ttl'),
    not_before_duration: fields.get('not_before_duration'),
    algorithm_signer: (fields.get('algorithm_signer') || 'default') as Role['algorithm_signer'],
    key_id_format: fields.get('key_id_format'),
    allow_user_key_ids: fields.get('allow_user_key_ids'),
    allowed_user_key_lengths: keyLengths(fields.get('allowed_user_key_lengths')),
    allowed_users_template: fields.get('allowed_users_template'),
    default_user_template: fields.get('default_user_template'),
    allowed_domains_template: fields.get('allowed_domains_template'),
    default_extensions_template: fields.get('default_extensions_template'),
  };

  if (!role.allow_user_certificates && !role.allow_host_certificates) {
    throw invalidField('allow_user_certificates', 'either allow_user_certificates or allow_host_certificates must be set to true');
  }
  if (role.ttl !== 0 && role.max_ttl !== 0 && role.ttl > role.max_ttl) {
    throw badRequest('"ttl" value must be less than "max_ttl" when both are specified');
  }
  return role;
}

export function pathListRoles(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'roles/?',
    fields: {},
    operations: {
      list: async (request) => {
        const names = (await request.storage.list(ROLE_PREFIX)).filter((name) => !name.endsWith('/'));
        if (names.length === 0) return null;
        const keyInfo = Object.fromEntries(names.map((name) => [name, { key_type: 'ca' }]));
        return { data: { keys: names, key_info: keyInfo } };
      },
    },
    helpSynopsis: 'List the names of the roles.',
    helpDescription: 'Lists the roles of the mount with their key_type under key_info, as Vault does.',
  });
}

export function pathRoles(context: SshContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `roles/${nameSegment('role')}`,
    fields: ROLE_FIELDS,
    operations: {
      update: async (request, fields) => {
        const role = roleFromFields(fields);
        await checkRoleTemplates(role, context.system);
        await writeRole(request.storage, fields.get('role'), role);
        return null;
      },
      read: async (request, fields) => {
        const role = await readRole(request.storage, fields.get('role'));
        return role === null ? null : { data: describeRole(role) };
      },
      delete: async (request, fields) => {
        await request.storage.delete(`${ROLE_PREFIX}${fields.get('role')}`);
        return null;
      },
    },
    helpSynopsis: 'Write, read and delete a CA role, the policy certificates are signed under.',
    helpDescription: `
A role says which certificate types (user, host), principals, critical
options, extensions, key types and validity a request to sign/:role or
issue/:role may get. A write replaces the whole role. Requests outside the
role are rejected, never silently narrowed.`,
  });
}
