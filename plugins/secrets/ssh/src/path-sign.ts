/**
 * `sign/:role`: signs a caller's SSH public key under a role.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import type { SshContext } from './context.js';
import { commaList, readRole } from './role.js';
import { renderRoleTemplates } from './role-templates.js';
import { parseAuthorizedKey } from './ssh-keys.js';
import { CERTIFICATE_FIELDS, checkKeyShape, issueCertificate, keyIdFor, planCertificate, type CertificateFieldData, type SigningContext } from './signing.js';

const SIGN_FIELDS = {
  ...CERTIFICATE_FIELDS,
  public_key: { type: 'string', required: true, description: 'The SSH public key to sign, in authorized_keys form.' },
} as const;

/**
 * Loads the role a signing request names, with the identity templates the
 * request needs rendered for the caller.
 * @throws CofferError (400) with Vault's message when it does not exist,
 *   and when a template cannot be rendered.
 */
export async function signingContext(context: SshContext, request: Request, fields: CertificateFieldData): Promise<SigningContext> {
  const roleName = fields.get('role');
  const stored = await readRole(request.storage, roleName);
  if (stored === null) throw badRequest(`unknown role: ${roleName}`);

  const role = await renderRoleTemplates(stored, request, context.system, {
    certType: fields.get('cert_type') === 'host' ? 'host' : 'user',
    defaultUser: commaList(fields.getIfSet('valid_principals') ?? '').length === 0,
    defaultExtensions: Object.keys(fields.get('extensions')).length === 0,
  });
  return { request, roleName, role, system: context.system, now: Math.floor(context.clock.now() / 1000) };
}

export function pathSign(context: SshContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `sign/${nameSegment('role')}`,
    fields: SIGN_FIELDS,
    operations: {
      update: async (request, fields) => {
        const signing = await signingContext(context, request, fields);

        let publicKey;
        try {
          publicKey = parseAuthorizedKey(fields.get('public_key'));
        } catch (err) {
          throw badRequest(`failed to parse public_key as SSH key: ${(err as Error).message}`);
        }
        checkKeyShape(signing.role, publicKey);
        const plan = planCertificate(fields, signing);

        const certificate = await issueCertificate(signing, plan, publicKey, keyIdFor(fields, signing, publicKey));
        return { data: { serial_number: serialHex(certificate.serial), signed_key: certificate.line } };
      },
    },
    helpSynopsis: 'Sign an SSH public key under a role.',
    helpDescription: `
Returns an OpenSSH certificate for public_key in signed_key, one
authorized_keys line, and its serial_number in hex. The role decides which
certificate types, principals, options, extensions, key types and validity
are allowed; a request for more is rejected. The certificate is not stored.`,
  });
}

/** Formats a serial in lowercase hex without leading zeros, as Vault returns serial_number. */
export function serialHex(serial: bigint): string {
  return serial.toString(16);
}
