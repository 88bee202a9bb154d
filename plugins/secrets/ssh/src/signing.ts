/**
 * The checks between a signing request and its role, with Vault's rules:
 * certificate type, principals, validity, critical options, extensions,
 * key ID and the key types and sizes the role allows. A request for
 * anything the role does not allow is rejected, not narrowed.
 */
import { createHash } from 'node:crypto';
import { badRequest, type FieldData, type Request, type SystemView } from '@coffer/sdk';
import { readCaKeyPair } from './ca-store.js';
import { HOST_CERTIFICATE, randomSerial, signCertificate, USER_CERTIFICATE, type SignedCertificate } from './certificate.js';
import { caNotConfigured } from './errors.js';
import { commaList, stringMap, type Role } from './role.js';
import type { SshKeyType, SshPublicKey } from './ssh-keys.js';

/** Fields that sign/:role and issue/:role share. */
export const CERTIFICATE_FIELDS = {
  role: { type: 'string', description: 'Name of the role to sign under.' },
  ttl: { type: 'duration', description: "Validity of the certificate. Defaults to the role's ttl; may not exceed the role's max_ttl." },
  valid_principals: {
    type: 'string',
    description: 'Comma-separated users (user certificates) or host names (host certificates) the certificate is valid for. Defaults to the role default_user for user certificates.',
  },
  cert_type: { type: 'string', default: 'user', allowedValues: ['user', 'host'], description: 'Certificate type: "user" (the default) or "host".' },
  key_id: { type: 'string', description: 'Key ID of the certificate. Needs allow_user_key_ids on the role.' },
  critical_options: { type: 'map', description: 'Critical options such as {"force-command": "..."}. Replaces the role defaults.' },
  extensions: { type: 'map', description: 'Extensions such as {"permit-pty": ""}. Replaces the role defaults and must be allowed by the role.' },
} as const;

export type CertificateFieldData = FieldData<typeof CERTIFICATE_FIELDS>;

/** The request, role and time of one signature, apart from the key. */
export interface SigningContext {
  request: Request;
  roleName: string;
  role: Role;
  system: SystemView;
  /** Seconds since the Unix epoch. */
  now: number;
}

/** The certificate settings a request gets, decided before the key is known. */
export interface CertificatePlan {
  type: typeof USER_CERTIFICATE | typeof HOST_CERTIFICATE;
  principals: string[];
  ttl: number;
  criticalOptions: Record<string, string>;
  extensions: Record<string, string>;
}

/**
 * Checks every request field against the role.
 * @throws CofferError (400) with Vault's message for the first violation.
 */
export function planCertificate(fields: CertificateFieldData, context: SigningContext): CertificatePlan {
  const { role } = context;
  if (fields.get('key_id') !== '' && !role.allow_user_key_ids) throw badRequest('setting key_id is not allowed by role');

  const certType = fields.get('cert_type');
  if (certType === 'user' && !role.allow_user_certificates) throw badRequest("cert_type 'user' is not allowed by role");
  if (certType === 'host' && !role.allow_host_certificates) throw badRequest("cert_type 'host' is not allowed by role");
  const type = certType === 'host' ? HOST_CERTIFICATE : USER_CERTIFICATE;

  const principals =
    type === HOST_CERTIFICATE
      ? checkPrincipals(fields, role, '', role.allowed_domains, (principal, allowed) => hostAllowed(role, principal, allowed))
      : checkPrincipals(fields, role, role.default_user, role.allowed_users, (principal, allowed) => allowed.includes(principal));

  return {
    type,
    principals,
    ttl: certificateTtl(fields, role, context.system),
    criticalOptions: criticalOptions(fields, role),
    extensions: extensions(fields, role),
  };
}

function checkPrincipals(
  fields: CertificateFieldData,
  role: Role,
  defaultPrincipal: string,
  allowedByRole: string,
  isAllowed: (principal: string, allowed: string[]) => boolean,
): string[] {
  let principals = commaList(fields.getIfSet('valid_principals') ?? defaultPrincipal);
  if (principals.length === 0 && defaultPrincipal !== '') principals = [defaultPrincipal];
  const allowed = commaList(allowedByRole);

  // A certificate without principals is valid for every user or host, so it needs the role's explicit consent.
  if (principals.length === 0) {
    if (role.allow_empty_principals) return [];
    throw badRequest('empty valid principals not allowed by role');
  }
  if (allowed.length === 0) throw badRequest('role is not configured to allow any principals');
  if (allowedByRole.trim() === '*') return principals;
  for (const principal of principals) {
    if (!isAllowed(principal, allowed)) throw badRequest(`${principal} is not a valid value for valid_principals`);
  }
  return principals;
}

function hostAllowed(role: Role, principal: string, allowed: string[]): boolean {
  return allowed.some((domain) => (role.allow_bare_domains && principal === domain) || (role.allow_subdomains && principal.endsWith(`.${domain}`)));
}

/** Returns the validity in seconds: the request's, else the role's, else the mount default, capped at the max unless the request asked for more. */
function certificateTtl(fields: CertificateFieldData, role: Role, system: SystemView): number {
  const requested = fields.getIfSet('ttl');
  let ttl = requested ?? role.ttl;
  if (ttl === 0) ttl = system.defaultLeaseTtl();
  const maxTtl = role.max_ttl !== 0 ? role.max_ttl : system.maxLeaseTtl();
  if (ttl <= maxTtl) return ttl;
  // Only a TTL the request chose is an error; a default above the maximum is cut down to it.
  if (requested !== undefined) throw badRequest(`ttl is larger than maximum allowed ${maxTtl}`);
  return maxTtl;
}

function criticalOptions(fields: CertificateFieldData, role: Role): Record<string, string> {
  const requested = stringMap('critical_options', fields.get('critical_options'));
  if (Object.keys(requested).length === 0) return role.default_critical_options;
  // An empty allowed_critical_options allows any option, as Vault documents.
  if (role.allowed_critical_options.trim() === '') return requested;
  const allowed = commaList(role.allowed_critical_options);
  const rejected = Object.keys(requested).filter((name) => !allowed.includes(name));
  if (rejected.length > 0) throw badRequest(`critical options not on allowed list: [${rejected.join(' ')}]`);
  return requested;
}

function extensions(fields: CertificateFieldData, role: Role): Record<string, string> {
  const requested = stringMap('extensions', fields.get('extensions'));
  if (Object.keys(requested).length === 0) return role.default_extensions;
  if (role.allowed_extensions.trim() === '*') return requested;
  // Unlike critical options, an empty allowed_extensions allows none.
  const allowed = commaList(role.allowed_extensions);
  const rejected = Object.keys(requested).filter((name) => !allowed.includes(name));
  if (rejected.length > 0) throw badRequest(`extensions [${rejected.join(' ')}] are not on allowed list`);
  return requested;
}

/** Returns the key ID: the request's (already checked), else the role's key_id_format filled in, else Vault's default format. */
export function keyIdFor(fields: CertificateFieldData, context: SigningContext, publicKey: SshPublicKey): string {
  const requested = fields.get('key_id');
  if (requested !== '') return requested;
  const displayName = context.request.displayName ?? '';
  const format = context.role.key_id_format || (displayName === '' ? 'vault-{{public_key_hash}}' : 'vault-{{token_display_name}}-{{public_key_hash}}');
  const values: Record<string, string> = {
    token_display_name: displayName,
    role_name: context.roleName,
    public_key_hash: createHash('sha256').update(publicKey.blob).digest('hex'),
  };
  return format.replace(/\{\{(token_display_name|role_name|public_key_hash)\}\}/g, (_, name: string) => values[name]!);
}

/** The family and size of a key, as allowed_user_key_lengths judges it. */
export interface KeyShape {
  type: SshKeyType;
  bits: number;
}

/**
 * Checks a key against the role's allowed_user_key_lengths with Vault's
 * rules: RSA and the "ec"/"ecdsa" entries compare the size exactly; a named
 * ECDSA entry and any Ed25519 entry allow the key whatever its size.
 * @throws CofferError (400) when the role does not allow the key.
 */
export function checkKeyShape(role: Role, key: KeyShape): void {
  const lengths = role.allowed_user_key_lengths;
  if (Object.keys(lengths).length === 0) return;
  let family = 'ecdsa';
  let names = ['ecdsa', 'ec', key.type];
  if (key.type === 'ssh-rsa') {
    family = 'rsa';
    names = ['rsa', 'ssh-rsa'];
  } else if (key.type === 'ssh-ed25519') {
    family = 'ed25519';
    names = ['ed25519', 'ssh-ed25519'];
  }

  const present = names.filter((name) => lengths[name] !== undefined);
  if (present.length === 0) throw badRequest(`public_key failed to meet the key requirements: key of type ${family} is not allowed`);
  const sizeMatters = (name: string) => family === 'rsa' || name === 'ec' || name === 'ecdsa';
  const pass = present.some((name) => !sizeMatters(name) || lengths[name]!.includes(key.bits));
  if (!pass) throw badRequest(`public_key failed to meet the key requirements: key is of an invalid size: ${key.bits}`);
}

/**
 * Signs a certificate for `publicKey` under the plan with the mount's CA.
 * @throws CofferError (400) when no CA is configured or the role's
 *   algorithm_signer does not fit the CA key.
 */
export async function issueCertificate(context: SigningContext, plan: CertificatePlan, publicKey: SshPublicKey, keyId: string): Promise<SignedCertificate> {
  const ca = await readCaKeyPair(context.request.storage);
  if (ca === null) throw caNotConfigured();
  const signer = context.role.algorithm_signer;
  if (signer !== 'default' && ca.publicKey.type !== 'ssh-rsa') {
    throw badRequest(`algorithm_signer ${signer} of role ${context.roleName} needs an RSA CA key, but the CA key is ${ca.publicKey.type}: set it to "default"`);
  }

  return signCertificate(
    {
      publicKey,
      serial: randomSerial(),
      type: plan.type,
      keyId,
      principals: plan.principals,
      validAfter: context.now - context.role.not_before_duration,
      validBefore: context.now + plan.ttl,
      criticalOptions: plan.criticalOptions,
      extensions: plan.extensions,
    },
    ca,
    signer === 'default' ? undefined : signer,
  );
}
