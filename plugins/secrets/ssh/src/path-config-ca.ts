/**
 * `config/ca` (generate, submit, read and delete the CA key pair) and
 * `public_key`, the CA public key as plain text, which Vault serves without
 * a token so hosts can fetch it for sshd's TrustedUserCAKeys.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { caConfigured, deleteCa, readCaPublicKey, writeCa } from './ca-store.js';
import { CA_NOT_CONFIGURED, invalidField } from './errors.js';
import { generateSshKeyPair, parsePrivateKey, privateKeyPem, type KeySpec } from './private-keys.js';
import { authorizedKeyLine, parseAuthorizedKey } from './ssh-keys.js';

/** RSA modulus lengths `config/ca` generates: Vault's minimum, default and a maximum of Coffer's own. */
const MIN_RSA_BITS = 2048;
const DEFAULT_CA_RSA_BITS = 4096;
// NOTE: Vault sets no maximum. Coffer stops at 8192 bits because a larger
// key takes minutes of a thread pool thread to generate.
const MAX_RSA_BITS = 8192;

const CA_KEY_TYPES = ['ssh-rsa', 'rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ec', 'ssh-ed25519', 'ed25519'];

const FIELDS = {
  private_key: { type: 'string', description: 'Private half of the CA key in PEM or OpenSSH form, unencrypted. Needs public_key.' },
  public_key: { type: 'string', description: 'Public half of the CA key in authorized_keys form. Needs private_key.' },
  generate_signing_key: {
    type: 'bool',
    default: true,
    description: 'Generate the CA key pair instead of taking private_key and public_key. Defaults to true unless both keys are given.',
  },
  key_type: {
    type: 'string',
    default: 'ssh-rsa',
    description: `Type of the generated CA key: ${CA_KEY_TYPES.join(', ')}.`,
  },
  key_bits: {
    type: 'int',
    default: 0,
    description: `RSA modulus length in bits (${MIN_RSA_BITS} to ${MAX_RSA_BITS}, 0 for ${DEFAULT_CA_RSA_BITS}), or the curve size 256, 384 or 521 for key_type "ec" (0 for 256).`,
  },
} as const;

/**
 * Returns what to generate for a `key_type` and `key_bits` of `config/ca`.
 * @throws CofferError (400) naming the field that is wrong.
 */
export function caKeySpec(keyType: string, keyBits: number): KeySpec {
  switch (keyType) {
    case 'ssh-rsa':
    case 'rsa': {
      const bits = keyBits === 0 ? DEFAULT_CA_RSA_BITS : keyBits;
      if (bits < MIN_RSA_BITS) throw invalidField('key_bits', `refusing to generate weak ${keyType} key: ${bits} bits < ${MIN_RSA_BITS} bits`);
      if (bits > MAX_RSA_BITS) throw invalidField('key_bits', `${bits} bits is more than the maximum of ${MAX_RSA_BITS}`);
      return { type: 'ssh-rsa', rsaBits: bits };
    }
    case 'ec': {
      const type = { 0: 'ecdsa-sha2-nistp256', 256: 'ecdsa-sha2-nistp256', 384: 'ecdsa-sha2-nistp384', 521: 'ecdsa-sha2-nistp521' }[keyBits];
      if (type === undefined) throw invalidField('key_bits', `key_type "ec" takes 256, 384 or 521 (0 for 256), got ${keyBits}`);
      return { type: type as KeySpec['type'], rsaBits: 0 };
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
      return { type: keyType, rsaBits: 0 };
    case 'ssh-ed25519':
    case 'ed25519':
      return { type: 'ssh-ed25519', rsaBits: 0 };
    default:
      throw invalidField('key_type', `unknown key type "${keyType}": use one of ${CA_KEY_TYPES.join(', ')}`);
  }
}

/**
 * Checks a submitted CA key pair and returns it in stored form.
 * @throws CofferError (400) when a key does not parse or the halves do not match.
 */
function submittedCa(privateKeyText: string, publicKeyText: string): { publicKey: string; privateKey: string } {
  let pair;
  try {
    pair = parsePrivateKey(privateKeyText);
  } catch (err) {
    throw badRequest(`unable to parse private_key as an SSH private key: ${(err as Error).message}`);
  }
  let publicKey;
  try {
    publicKey = parseAuthorizedKey(publicKeyText);
  } catch (err) {
    throw badRequest(`unable to parse public_key as an SSH public key: ${(err as Error).message}`);
  }
  if (!publicKey.blob.equals(pair.publicKey.blob)) throw badRequest('public_key does not match private_key: submit the two halves of one key pair');
  return { publicKey: authorizedKeyLine(publicKey.type, publicKey.blob), privateKey: privateKeyText };
}

type Source = { generate: KeySpec } | { submitted: { publicKey: string; privateKey: string } };

/**
 * Decides between generating and taking submitted keys, with Vault's rules:
 * generate_signing_key=true forbids keys, false needs both, and when it is
 * not sent, two keys are taken and none means generate.
 */
function caSource(generateSet: boolean | undefined, privateKey: string, publicKey: string, spec: () => KeySpec): Source {
  if (generateSet === true) {
    if (privateKey !== '' || publicKey !== '') throw badRequest('public_key and private_key must not be set when generate_signing_key is set to true');
    return { generate: spec() };
  }
  if (generateSet === false || (privateKey !== '' && publicKey !== '')) {
    if (publicKey === '') throw badRequest('missing public_key');
    if (privateKey === '') throw badRequest('missing private_key');
    return { submitted: submittedCa(privateKey, publicKey) };
  }
  if (privateKey === '' && publicKey === '') return { generate: spec() };
  throw badRequest('only one of public_key and private_key set; both must be set to use, or both must be blank to auto-generate');
}

export function pathConfigCa(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config/ca',
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const source = caSource(fields.getIfSet('generate_signing_key'), fields.get('private_key'), fields.get('public_key'), () =>
          caKeySpec(fields.get('key_type'), fields.get('key_bits')),
        );
        if (await caConfigured(request.storage)) throw badRequest('keys are already configured; delete them before reconfiguring');

        if ('submitted' in source) {
          await writeCa(request.storage, source.submitted);
          return null;
        }
        const pair = await generateSshKeyPair(source.generate);
        const publicKey = authorizedKeyLine(pair.publicKey.type, pair.publicKey.blob);
        await writeCa(request.storage, { publicKey, privateKey: privateKeyPem(pair.privateKey) });
        return { data: { public_key: publicKey } };
      },
      read: async (request) => {
        const publicKey = await readCaPublicKey(request.storage);
        if (publicKey === null) throw badRequest(CA_NOT_CONFIGURED);
        return { data: { public_key: publicKey } };
      },
      delete: async (request) => {
        await deleteCa(request.storage);
        return null;
      },
    },
    helpSynopsis: 'Generate, submit, read or delete the CA key that signs certificates.',
    helpDescription: `
A write generates a CA key pair (by default RSA 4096) and returns its public
key, or stores the private_key and public_key it is given and returns 204. A
configured CA must be deleted before another is written. A read returns the
public key; the private key can never be read back.`,
  });
}

export function pathPublicKey(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'public_key',
    fields: {},
    operations: {
      read: async (request) => {
        const publicKey = await readCaPublicKey(request.storage);
        if (publicKey === null) return null;
        return { raw: { status: 200, contentType: 'text/plain', body: publicKey } };
      },
    },
    helpSynopsis: 'Read the CA public key as plain text, without a token.',
    helpDescription: `
Returns the CA public key in authorized_keys form as text/plain, ready for
sshd's TrustedUserCAKeys file or a known_hosts @cert-authority line. The path
needs no token. Without a configured CA it returns 404.`,
  });
}
