/**
 * `sign/:name(/:hash_algorithm)` and `verify/:name(/:hash_algorithm)`.
 * A verify request with `hmac` instead of `signature` checks HMACs made by
 * `hmac/`, as in Vault.
 */
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import { itemString, readBatchInput, runBatch, withReferences, type BatchItem } from './batch.js';
import type { TransitContext } from './context.js';
import { invalidField, keyNotFound, missingField } from './errors.js';
import { CONTEXT_FIELD, decodeBase64Field, decodeOptionalBase64, KEY_VERSION_FIELD, NAME_FIELD, batchPathFields, rejectUnknownFields } from './fields.js';
import { isDigestAlgorithm, isSignatureHashAlgorithm, SIGNATURE_HASH_ALGORITHMS } from './keys/hashes.js';
import type { KeyPolicy } from './keys/key-policy.js';
import { supportsSigning } from './keys/key-types.js';
import { PSS_SALT_AUTO, PSS_SALT_EQUALS_HASH } from './keys/rsa-digest-signing.js';
import { sign, verify, type SignatureOptions } from './keys/signing.js';
import { verifyHmacRequest } from './path-hmac.js';

const COMMON_FIELDS = {
  name: NAME_FIELD,
  urlalgorithm: { type: 'string', description: 'Hash algorithm, given in the URL.' },
  hash_algorithm: {
    type: 'string',
    description: `Hash algorithm for ECDSA and RSA keys: ${SIGNATURE_HASH_ALGORITHMS.join(', ')}. Defaults to sha2-256. Ed25519 keys ignore it but reject sha2-512, which would mean Ed25519ph.`,
  },
  algorithm: { type: 'string', description: 'Deprecated name of hash_algorithm.' },
  input: { type: 'string', description: 'Base64-encoded data.' },
  context: CONTEXT_FIELD,
  prehashed: { type: 'bool', description: 'The input is already a digest made with hash_algorithm (ECDSA and RSA keys; Ed25519 keys reject it).' },
  signature_algorithm: {
    type: 'string',
    allowedValues: ['', 'pss', 'pkcs1v15'],
    description: 'RSA signature scheme: pss (the default) or pkcs1v15.',
  },
  marshaling_algorithm: {
    type: 'string',
    default: 'asn1',
    allowedValues: ['asn1', 'jws'],
    description: 'Signature encoding: asn1 (DER for ECDSA, standard base64; the default) or jws (r||s for ECDSA, unpadded base64url).',
  },
  salt_length: {
    type: 'string',
    default: 'auto',
    description: 'RSA-PSS salt length: auto (the longest when signing, any when verifying), hash (the digest length) or a number of bytes.',
  },
} as const;

const SIGN_FIELDS = { ...COMMON_FIELDS, key_version: KEY_VERSION_FIELD } as const;
const VERIFY_FIELDS = {
  ...COMMON_FIELDS,
  signature: { type: 'string', description: 'Signature from sign/, with its vault:v<N>: prefix.' },
  hmac: { type: 'string', description: 'HMAC from hmac/, with its vault:v<N>: prefix.' },
} as const;
const KNOWN_VERIFY_FIELDS = batchPathFields(VERIFY_FIELDS);
const KNOWN_SIGN_FIELDS = batchPathFields(SIGN_FIELDS);

type CommonFields = FieldData<typeof COMMON_FIELDS>;

export function pathSign(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `sign/${nameSegment('name')}(?:/(?<urlalgorithm>[^/]+))?`,
    fields: SIGN_FIELDS,
    takesArbitraryInput: true,
    operations: {
      update: async (request: Request, fields: FieldData<typeof SIGN_FIELDS>) => {
        rejectUnknownFields(fields.raw, KNOWN_SIGN_FIELDS);
        const batch = readBatchInput(fields.raw, ['input', 'context', 'reference']);
        const options = signatureOptions(fields as unknown as CommonFields);
        const policy = await signingPolicy(context, request, fields.get('name'), 'signing');
        const version = fields.get('key_version');

        const signOne = (input: string | undefined, derivationContext: string | undefined, batchForm: boolean): Record<string, unknown> => {
          if (input === undefined) throw badRequest('missing input');
          const context = decodeOptionalBase64('context', derivationContext);
          const result = sign(policy, version, { ...options, input: decodeBase64Field('input', input), ...(context ? { context } : {}) });
          const data: Record<string, unknown> = { signature: result.signature, key_version: result.version };
          if (result.publicKey !== undefined) data[batchForm ? 'publickey' : 'public_key'] = result.publicKey.toString('base64');
          return data;
        };
        if (batch === undefined) return { data: signOne(fields.get('input'), fields.get('context'), false) };

        // Vault returns 200 for a signing batch even when items failed.
        const outcome = await runBatch(batch, context.logger, (item, index) =>
          signOne(itemString(item, index, 'input'), itemString(item, index, 'context'), true),
        );
        return { data: { batch_results: withReferences(outcome, references(batch)) } };
      },
    },
    helpSynopsis: 'Sign base64-encoded input with a named key.',
    helpDescription: `
Returns vault:v<N>:<signature>. ECDSA and RSA keys sign the digest of the input
(or the input itself when prehashed); Ed25519 signs the input. A derived
Ed25519 key signs with the key derived from context and returns its public key.`,
  });
}

export function pathVerify(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `verify/${nameSegment('name')}(?:/(?<urlalgorithm>[^/]+))?`,
    fields: VERIFY_FIELDS,
    takesArbitraryInput: true,
    operations: {
      update: async (request: Request, fields: FieldData<typeof VERIFY_FIELDS>) => {
        rejectUnknownFields(fields.raw, KNOWN_VERIFY_FIELDS);
        const batch = readBatchInput(fields.raw, ['input', 'context', 'signature', 'hmac', 'reference']);
        const mode = verificationMode(batch, fields.getIfSet('signature'), fields.getIfSet('hmac'));
        const name = fields.get('name');

        if (mode === 'hmac') {
          const algorithm = hashAlgorithm(fields as unknown as CommonFields);
          if (!isDigestAlgorithm(algorithm)) throw invalidField('hash_algorithm', `unsupported algorithm "${algorithm}" for an HMAC`);
          return verifyHmacRequest(context, request, name, algorithm, batch, { input: fields.get('input'), hmac: fields.get('hmac') });
        }

        const options = signatureOptions(fields as unknown as CommonFields);
        const policy = await signingPolicy(context, request, name, 'signature verification');
        const verifyOne = (input: string | undefined, derivationContext: string | undefined, signature: string | undefined): Record<string, unknown> => {
          if (input === undefined) throw badRequest('missing input');
          if (signature === undefined) throw badRequest('missing signature');
          const context = decodeOptionalBase64('context', derivationContext);
          return { valid: verify(policy, signature, { ...options, input: decodeBase64Field('input', input), ...(context ? { context } : {}) }) };
        };
        if (batch === undefined) return { data: verifyOne(fields.get('input'), fields.get('context'), fields.get('signature')) };

        const outcome = await runBatch(batch, context.logger, (item, index) =>
          verifyOne(itemString(item, index, 'input'), itemString(item, index, 'context'), itemString(item, index, 'signature')),
        );
        return { data: { batch_results: withReferences(outcome, references(batch)) } };
      },
    },
    helpSynopsis: 'Verify a signature or an HMAC of base64-encoded input.',
    helpDescription: `
Returns valid: true or false. Give signature (from sign/) or hmac (from hmac/),
and in a batch give the same one in every item. Versions below the key's
min_decryption_version are rejected.`,
  });
}

/** Reads and checks the options that sign and verify share, before any key is loaded. */
function signatureOptions(fields: CommonFields): Omit<SignatureOptions, 'input' | 'context'> {
  const hash = hashAlgorithm(fields);
  if (!isSignatureHashAlgorithm(hash)) {
    throw invalidField('hash_algorithm', `invalid hash algorithm "${hash}": use one of ${SIGNATURE_HASH_ALGORITHMS.join(', ')}`);
  }
  const prehashed = fields.get('prehashed');
  const signatureAlgorithm = fields.get('signature_algorithm') === 'pkcs1v15' ? 'pkcs1v15' : 'pss';
  if (hash === 'none' && (!prehashed || signatureAlgorithm !== 'pkcs1v15')) {
    throw invalidField('hash_algorithm', 'hash_algorithm=none requires both prehashed=true and signature_algorithm=pkcs1v15');
  }
  return {
    hashAlgorithm: hash,
    prehashed,
    signatureAlgorithm,
    marshaling: fields.get('marshaling_algorithm') === 'jws' ? 'jws' : 'asn1',
    saltLength: saltLength(fields.get('salt_length')),
  };
}

/** Returns the hash algorithm from the URL, else `hash_algorithm`, else the deprecated `algorithm`, else sha2-256. */
function hashAlgorithm(fields: CommonFields): string {
  return fields.getIfSet('urlalgorithm') ?? fields.getIfSet('hash_algorithm') ?? fields.getIfSet('algorithm') ?? 'sha2-256';
}

/** Parses `salt_length` into Go's convention, as Vault's `getSaltLength` does. */
function saltLength(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'auto') return PSS_SALT_AUTO;
  if (lower === 'hash') return PSS_SALT_EQUALS_HASH;
  if (!/^[+-]?\d+$/.test(lower)) throw invalidField('salt_length', `"${text}" is neither auto, hash nor a number of bytes`);
  const length = Number(lower);
  if (length < PSS_SALT_EQUALS_HASH) throw invalidField('salt_length', `${length} is negative`);
  return length;
}

async function signingPolicy(context: TransitContext, request: Request, name: string, role: string): Promise<KeyPolicy> {
  const policy = await context.store.get(request.storage, name);
  if (policy === null) throw keyNotFound(name, role);
  if (!supportsSigning(policy.type)) {
    throw badRequest(`key type ${policy.type} does not support ${role === 'signing' ? 'signing' : 'verification'}`);
  }
  return policy;
}

/**
 * Decides whether a verify request checks signatures or HMACs, with Vault's
 * rule that every item gives the same one.
 * @throws CofferError (400) when neither or both are given.
 */
function verificationMode(batch: BatchItem[] | undefined, signature: string | undefined, hmac: string | undefined): 'signature' | 'hmac' {
  if (batch === undefined) {
    if (signature !== undefined && hmac !== undefined) throw badRequest('give one of the fields "signature" or "hmac", not both');
    if (signature === undefined && hmac === undefined) throw missingField('signature', 'give a signature or an hmac to verify');
    return signature !== undefined ? 'signature' : 'hmac';
  }

  const kinds = new Set<string>();
  for (const item of batch) {
    if (item.signature !== undefined) kinds.add('signature');
    else if (item.hmac !== undefined) kinds.add('hmac');
    else kinds.add('missing');
  }
  if (kinds.has('signature') && kinds.has('hmac')) throw invalidField('batch_input', 'every item must give a signature, or every item an hmac');
  if (kinds.has('missing')) {
    const expected = kinds.has('hmac') ? 'hmac' : 'signature';
    throw invalidField('batch_input', `some items give no ${expected}`);
  }
  return kinds.has('hmac') ? 'hmac' : 'signature';
}

function references(batch: BatchItem[]): (string | undefined)[] {
  return batch.map((item, index) => itemString(item, index, 'reference'));
}
