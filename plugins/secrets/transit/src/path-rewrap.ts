/**
 * `rewrap/:name`: decrypt ciphertexts and encrypt them again with the
 * latest (or a chosen) key version, without returning the plaintext.
 */
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import { CIPHER_ITEM_FIELDS, itemInteger, prepareItems, readBatchInput, requireConsistentContext, runBatch, unwrap, withReferences } from './batch.js';
import type { TransitContext } from './context.js';
import { keyNotFound, NONCE_NOT_ALLOWED_MESSAGE } from './errors.js';
import { ASSOCIATED_DATA_FIELD, batchPathFields, CONTEXT_FIELD, KEY_VERSION_FIELD, NAME_FIELD, NONCE_FIELD, rejectUnknownFields } from './fields.js';
import { decrypt, encrypt } from './keys/encryption.js';
import { batchCiphertextItem, decodeCiphertextItem, singleCiphertextItem, type CiphertextItem } from './path-decrypt.js';

const FIELDS = {
  name: NAME_FIELD,
  ciphertext: { type: 'string', description: 'Ciphertext to encrypt again.' },
  context: CONTEXT_FIELD,
  nonce: NONCE_FIELD,
  key_version: KEY_VERSION_FIELD,
  associated_data: ASSOCIATED_DATA_FIELD,
} as const;
const KNOWN_FIELDS = batchPathFields(FIELDS);

export function pathRewrap(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `rewrap/${nameSegment('name')}`,
    fields: FIELDS,
    takesArbitraryInput: true,
    operations: {
      update: async (request: Request, fields: FieldData<typeof FIELDS>) => {
        rejectUnknownFields(fields.raw, KNOWN_FIELDS);
        const batch = readBatchInput(fields.raw, CIPHER_ITEM_FIELDS);
        const items: Array<CiphertextItem & { keyVersion: number }> =
          batch === undefined
            ? [{ ...singleCiphertextItem(fields as unknown as FieldData<FieldMap>), keyVersion: fields.get('key_version') }]
            : batch.map((item, index) => ({ ...batchCiphertextItem(item, index), keyVersion: itemInteger(item, index, 'key_version') }));
        requireConsistentContext(items.map((item) => item.context));
        const prepared = prepareItems(items, (item) => {
          if (item.nonce !== undefined && item.nonce !== '') throw badRequest(NONCE_NOT_ALLOWED_MESSAGE);
          return { ...decodeCiphertextItem(item), keyVersion: item.keyVersion };
        });
        if (batch === undefined) unwrap(prepared[0]);

        const name = fields.get('name');
        const policy = await context.store.get(request.storage, name);
        if (policy === null) throw keyNotFound(name, 'encryption');

        const process = (entry: (typeof prepared)[number]): Record<string, unknown> => {
          const item = unwrap(entry);
          const { plaintext } = decrypt(policy, item);
          const result = encrypt(policy, { ...item, version: item.keyVersion, plaintext });
          return { ciphertext: result.ciphertext, key_version: result.version };
        };
        if (batch === undefined) return { data: process(prepared[0]) };

        const outcome = await runBatch(prepared, context.logger, process);
        // Vault returns 200 for a rewrap batch even when items failed, and
        // each failed item carries its error.
        return { data: { batch_results: withReferences(outcome, items.map((item) => item.reference)) } };
      },
    },
    helpSynopsis: 'Encrypt a ciphertext again with the latest version of its key.',
    helpDescription: `
Decrypts each ciphertext and encrypts the plaintext again with key_version (the
latest by default), without returning the plaintext, so rewrapping can be left
to callers that may not read the data.`,
  });
}
