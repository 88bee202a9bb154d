/**
 * `issue/:role`: generates a key pair and signs its public key under a role.
 */
import { definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { SshContext } from './context.js';
import { invalidField } from './errors.js';
import { generateSshKeyPair, privateKeyPem, type KeySpec } from './private-keys.js';
import { CERTIFICATE_FIELDS, checkKeyShape, issueCertificate, keyIdFor, planCertificate } from './signing.js';
import { serialHex, signingContext } from './path-sign.js';

const ISSUE_KEY_TYPES = ['rsa', 'ec', 'ed25519'];

const ISSUE_FIELDS = {
  ...CERTIFICATE_FIELDS,
  key_type: { type: 'string', default: 'rsa', description: 'Type of the generated key: rsa (the default), ec or ed25519.' },
  key_bits: {
    type: 'int',
    default: 0,
    description: 'Size of the generated key: 2048 (the default), 3072 or 4096 for rsa; 256 (the default), 384 or 521 for ec. Ignored for ed25519.',
  },
} as const;

/**
 * Returns what issue/:role generates for a key_type and key_bits, with
 * Vault's defaults: RSA 2048 and P-256.
 * @throws CofferError (400) naming the field that is wrong.
 */
export function issueKeySpec(keyType: string, keyBits: number): KeySpec {
  if (keyType === 'rsa') {
    const bits = keyBits === 0 ? 2048 : keyBits;
    if (![2048, 3072, 4096].includes(bits)) throw invalidField('key_bits', `rsa keys take 2048, 3072 or 4096 (0 for 2048), got ${keyBits}`);
    return { type: 'ssh-rsa', rsaBits: bits };
  }
  if (keyType === 'ec') {
    const type = { 0: 'ecdsa-sha2-nistp256', 256: 'ecdsa-sha2-nistp256', 384: 'ecdsa-sha2-nistp384', 521: 'ecdsa-sha2-nistp521' }[keyBits];
    if (type === undefined) throw invalidField('key_bits', `ec keys take 256, 384 or 521 (0 for 256), got ${keyBits}`);
    return { type: type as KeySpec['type'], rsaBits: 0 };
  }
  if (keyType === 'ed25519') return { type: 'ssh-ed25519', rsaBits: 0 };
  throw invalidField('key_type', `unknown key type "${keyType}": use one of ${ISSUE_KEY_TYPES.join(', ')}`);
}

/** Returns the size in bits of the key a spec generates: the modulus for RSA, the curve for ECDSA, 256 for Ed25519. */
function specBits(spec: KeySpec): number {
  if (spec.type === 'ssh-rsa') return spec.rsaBits;
  if (spec.type === 'ssh-ed25519') return 256;
  return Number(spec.type.slice('ecdsa-sha2-nistp'.length));
}

export function pathIssue(context: SshContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `issue/${nameSegment('role')}`,
    fields: ISSUE_FIELDS,
    operations: {
      update: async (request, fields) => {
        const signing = await signingContext(context, request, fields);
        const keyType = fields.get('key_type');
        const spec = issueKeySpec(keyType, fields.get('key_bits'));
        checkKeyShape(signing.role, { type: spec.type, bits: specBits(spec) });
        const plan = planCertificate(fields, signing);

        const pair = await generateSshKeyPair(spec);
        const certificate = await issueCertificate(signing, plan, pair.publicKey, keyIdFor(fields, signing, pair.publicKey));
        return {
          data: {
            serial_number: serialHex(certificate.serial),
            signed_key: certificate.line,
            private_key: privateKeyPem(pair.privateKey),
            private_key_type: keyType,
          },
        };
      },
    },
    helpSynopsis: 'Generate a key pair and sign its public key under a role.',
    helpDescription: `
Returns a new private key (PEM: PKCS#1 for rsa, SEC1 for ec, OpenSSH for
ed25519), its certificate in signed_key and the certificate's serial_number.
The role's checks are those of sign/:role. Nothing is stored.`,
  });
}
