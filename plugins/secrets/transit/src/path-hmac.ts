/**
 * `hmac/:name(/:algorithm)`: HMACs of base64-encoded input with a key's
 * HMAC key, in the form `vault:v<N>:<base64>`. Verification lives on
 * `verify/`, which sends requests with an `hmac` field here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import { decodeStandardBase64 } from './base64.js';
import { itemString, readBatchInput, runBatch, withReferences, type BatchItem } from './batch.js';
import type { TransitContext } from './context.js';
import { invalidField, keyNotFound, missingField } from './errors.js';
import { decodeBase64Field, KEY_VERSION_FIELD, NAME_FIELD, batchPathFields, rejectUnknownFields } from './fields.js';
import { DIGEST_ALGORITHMS, HASH_ALGORITHMS, type HashAlgorithm } from './keys/hashes.js';
import { loadedVersion, type KeyPolicy } from './keys/key-policy.js';
import { parseVersioned, formatVersioned } from './keys/versioned-value.js';
import { algorithmField } from './path-hash.js';

const FIELDS = {
  name: NAME_FIELD,
  urlalgorithm: { type: 'string', description: 'Hash algorithm, given in the URL.' },
  algorithm: { type: 'string', default: 'sha2-256', description: `Hash algorithm: ${DIGEST_ALGORITHMS.join(', ')}. Defaults to sha2-256.` },
  input: { type: 'string', description: 'Base64-encoded data.' },
  key_version: KEY_VERSION_FIELD,
} as const;
const KNOWN_FIELDS = batchPathFields(FIELDS);

export function pathHmac(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `hmac/${nameSegment('name')}(?:/(?<urlalgorithm>[^/]+))?`,
    fields: FIELDS,
    takesArbitraryInput: true,
    operations: {
      update: async (request: Request, fields: FieldData<typeof FIELDS>) => {
        rejectUnknownFields(fields.raw, KNOWN_FIELDS);
        const batch = readBatchInput(fields.raw, ['input', 'reference']);
        const algorithm = algorithmField(fields.getIfSet('urlalgorithm'), fields.get('algorithm'));
        const single = fields.getIfSet('input');
        if (batch === undefined && single === undefined) throw missingField('input', 'give the base64-encoded data');

        const name = fields.get('name');
        const policy = await context.store.get(request.storage, name);
        if (policy === null) throw keyNotFound(name, 'encryption');
        const version = hmacVersion(policy, fields.get('key_version'));
        const key = hmacKey(policy, version);

        const compute = (input: string | undefined, field: string): Record<string, unknown> => {
          if (input === undefined) throw badRequest('missing input for HMAC');
          const mac = createHmac(HASH_ALGORITHMS[algorithm].node, key).update(decodeBase64Field(field, input)).digest();
          return { hmac: formatVersioned(version, mac.toString('base64')) };
        };
        if (batch === undefined) return { data: compute(single, 'input') };

        // Vault returns 200 for an HMAC batch even when items failed.
        const outcome = await runBatch(batch, context.logger, (item, index) => compute(itemString(item, index, 'input'), 'input'));
        return { data: { batch_results: withReferences(outcome, batch.map((item, index) => itemString(item, index, 'reference'))) } };
      },
    },
    helpSynopsis: 'Generate an HMAC of base64-encoded input with a named key.',
    helpDescription: `
Every key version carries an HMAC key (for hmac keys, the key itself). The
result names the version, so verify/ can check it after rotations, down to
min_decryption_version.`,
  });
}

/**
 * Verifies the HMACs of a `verify/` request that carries `hmac` fields and
 * returns whether each matches its input, compared in constant time.
 */
export async function verifyHmacRequest(
  context: TransitContext,
  request: Request,
  name: string,
  algorithm: HashAlgorithm,
  batch: BatchItem[] | undefined,
  single: { input: string; hmac: string },
): Promise<Response> {
  const policy = await context.store.get(request.storage, name);
  if (policy === null) throw keyNotFound(name, 'encryption');

  const check = (input: string | undefined, hmac: string | undefined): Record<string, unknown> => {
    if (input === undefined) throw badRequest('missing input');
    if (hmac === undefined) throw badRequest('missing hmac');
    return { valid: verifyHmac(policy, algorithm, decodeBase64Field('input', input), hmac) };
  };
  if (batch === undefined) return { data: check(single.input, single.hmac) };

  const outcome = await runBatch(batch, context.logger, (item, index) => check(itemString(item, index, 'input'), itemString(item, index, 'hmac')));
  return { data: { batch_results: withReferences(outcome, batch.map((item, index) => itemString(item, index, 'reference'))) } };
}

function verifyHmac(policy: KeyPolicy, algorithm: HashAlgorithm, input: Buffer, text: string): boolean {
  const { version, data } = parseVersioned(text, 'HMAC');
  const decoded = decodeStandardBase64(data);
  if ('problem' in decoded) throw invalidField('hmac', `the HMAC is not base64: ${decoded.problem}`);
  if (version > policy.latestVersion) throw badRequest('invalid HMAC: version is too new');
  if (version < policy.minDecryptionVersion) throw badRequest('cannot verify HMAC: version is too old (disallowed by policy)');

  const expected = createHmac(HASH_ALGORITHMS[algorithm].node, hmacKey(policy, version)).update(input).digest();
  return expected.length === decoded.bytes.length && timingSafeEqual(expected, decoded.bytes);
}

/** Resolves the version to make an HMAC with, with Vault's rules. */
function hmacVersion(policy: KeyPolicy, requested: number): number {
  if (requested === 0) return policy.latestVersion;
  if (requested < 0) throw invalidField('key_version', `${requested} is negative: use 0 for the latest version or a version number`);
  if (requested > policy.latestVersion) {
    throw invalidField('key_version', `${requested} is higher than the latest key version ${policy.latestVersion}`);
  }
  if (policy.minEncryptionVersion > 0 && requested < policy.minEncryptionVersion) {
    throw badRequest('cannot generate HMAC: version is too old (disallowed by policy)');
  }
  return requested;
}

function hmacKey(policy: KeyPolicy, version: number): Buffer {
  const entry = loadedVersion(policy, version);
  if (entry === undefined) throw invalidField('key_version', `version ${version} is below min_decryption_version ${policy.minDecryptionVersion}`);
  return entry.hmacKey;
}
