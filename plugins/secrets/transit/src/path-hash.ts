/**
 * `hash(/:algorithm)`: the digest of base64-encoded input. No key involved.
 */
import { createHash } from 'node:crypto';
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { invalidField, missingField } from './errors.js';
import { decodeBase64Field } from './fields.js';
import { DIGEST_ALGORITHMS, HASH_ALGORITHMS, isDigestAlgorithm } from './keys/hashes.js';

const FIELDS = {
  urlalgorithm: { type: 'string', description: 'Hash algorithm, given in the URL.' },
  algorithm: { type: 'string', default: 'sha2-256', description: `Hash algorithm: ${DIGEST_ALGORITHMS.join(', ')}. Defaults to sha2-256.` },
  input: { type: 'string', description: 'Base64-encoded data to hash.' },
  format: { type: 'string', default: 'hex', description: 'Output encoding: hex (the default) or base64.' },
} as const;

export function pathHash(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'hash(?:/(?<urlalgorithm>[^/]+))?',
    fields: FIELDS,
    operations: {
      update: async (_request, fields) => {
        const inputText = fields.getIfSet('input');
        if (inputText === undefined) throw missingField('input', 'give the base64-encoded data to hash');
        const input = decodeBase64Field('input', inputText);
        const format = fields.get('format');
        if (format !== 'hex' && format !== 'base64') throw invalidField('format', `unsupported encoding format "${format}": use hex or base64`);
        const algorithm = algorithmField(fields.getIfSet('urlalgorithm'), fields.get('algorithm'));

        const sum = createHash(HASH_ALGORITHMS[algorithm].node).update(input).digest(format);
        return { data: { sum } };
      },
    },
    helpSynopsis: 'Hash base64-encoded input.',
    helpDescription: `Returns the digest of the input with the chosen SHA-2 or SHA-3 algorithm, in hex or base64.`,
  });
}

/**
 * Returns the algorithm from the URL, else from the body, as Vault prefers them.
 * @throws CofferError (400) naming the field and the unsupported value.
 */
export function algorithmField(fromUrl: string | undefined, fromBody: string): (typeof DIGEST_ALGORITHMS)[number] {
  const [field, value] = fromUrl !== undefined ? ['urlalgorithm', fromUrl] : ['algorithm', fromBody];
  if (!isDigestAlgorithm(value)) throw invalidField(field, `unsupported algorithm "${value}": use one of ${DIGEST_ALGORITHMS.join(', ')}`);
  return value;
}
