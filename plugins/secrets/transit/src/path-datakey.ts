/**
 * `datakey/plaintext/:name` and `datakey/wrapped/:name`: generate a random
 * data key and return it encrypted with the named key, and with `plaintext`
 * also in the clear. ACL policies can allow one form and not the other.
 */
import { randomBytes } from 'node:crypto';
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { TransitContext } from './context.js';
import { invalidField, keyNotFound, NONCE_NOT_ALLOWED_MESSAGE } from './errors.js';
import { ASSOCIATED_DATA_FIELD, CONTEXT_FIELD, decodeOptionalBase64, KEY_VERSION_FIELD, NAME_FIELD, NONCE_FIELD } from './fields.js';
import { encrypt } from './keys/encryption.js';

const FIELDS = {
  plaintext: { type: 'string', description: '"plaintext" returns the data key in the clear and encrypted; "wrapped" only encrypted.' },
  name: NAME_FIELD,
  context: CONTEXT_FIELD,
  nonce: NONCE_FIELD,
  key_version: KEY_VERSION_FIELD,
  associated_data: ASSOCIATED_DATA_FIELD,
  bits: { type: 'int', default: 256, description: 'Length of the data key in bits: 128, 256 (the default) or 512.' },
} as const;

const DATA_KEY_BITS = [128, 256, 512];

export function pathDatakey(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `datakey/${nameSegment('plaintext')}/${nameSegment('name')}`,
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const form = fields.get('plaintext');
        if (form !== 'plaintext' && form !== 'wrapped') {
          throw invalidField('plaintext', `"${form}" is not a data key form: the path must be datakey/plaintext/:name or datakey/wrapped/:name`);
        }
        const bits = fields.get('bits');
        if (!DATA_KEY_BITS.includes(bits)) throw invalidField('bits', `${bits} is not 128, 256 or 512`);
        const derivationContext = decodeOptionalBase64('context', fields.get('context'));
        if (decodeOptionalBase64('nonce', fields.get('nonce')) !== undefined) throw badRequest(NONCE_NOT_ALLOWED_MESSAGE);
        const associatedData = decodeOptionalBase64('associated_data', fields.get('associated_data'));

        const name = fields.get('name');
        const policy = await context.store.get(request.storage, name);
        if (policy === null) throw keyNotFound(name, 'encryption');

        const dataKey = randomBytes(bits / 8);
        const result = encrypt(policy, {
          version: fields.get('key_version'),
          plaintext: dataKey,
          ...(derivationContext ? { context: derivationContext } : {}),
          ...(associatedData ? { associatedData } : {}),
        });
        const data: Record<string, unknown> = { ciphertext: result.ciphertext, key_version: result.version };
        if (form === 'plaintext') data.plaintext = dataKey.toString('base64');
        return { data };
      },
    },
    helpSynopsis: 'Generate a data key encrypted with a named key.',
    helpDescription: `
Generates a random key of the given bits and returns it encrypted with the
named key. The plaintext form also returns the key itself in base64; the
wrapped form does not, so it can be allowed to callers who may only store it.`,
  });
}
