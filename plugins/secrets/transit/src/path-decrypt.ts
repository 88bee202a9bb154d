/**
 * `decrypt/:name`: decrypt ciphertexts made by `encrypt/`, one or a batch.
 */
import { definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import {
  batchResponse,
  CIPHER_ITEM_FIELDS,
  itemInteger,
  itemString,
  prepareItems,
  readBatchInput,
  requireConsistentContext,
  runBatch,
  unwrap,
  withReferences,
  type BatchItem,
  type Prepared,
} from './batch.js';
import type { TransitContext } from './context.js';
import { keyNotFound, missingField } from './errors.js';
import {
  ASSOCIATED_DATA_FIELD,
  CONTEXT_FIELD,
  decodeOptionalBase64,
  NAME_FIELD,
  NONCE_FIELD,
  PARTIAL_FAILURE_FIELD,
  batchPathFields,
  rejectUnknownFields,
} from './fields.js';
import { decrypt } from './keys/encryption.js';

const FIELDS = {
  name: NAME_FIELD,
  ciphertext: { type: 'string', description: 'Ciphertext to decrypt, as encrypt returned it.' },
  context: CONTEXT_FIELD,
  nonce: NONCE_FIELD,
  associated_data: ASSOCIATED_DATA_FIELD,
  partial_failure_response_code: PARTIAL_FAILURE_FIELD,
} as const;
const KNOWN_FIELDS = batchPathFields(FIELDS);

export interface CiphertextItem {
  ciphertext: string;
  context?: string;
  nonce?: string;
  associatedData?: string;
  reference?: string;
}

export interface DecodedCiphertextItem {
  ciphertext: string;
  context?: Buffer;
  associatedData?: Buffer;
}

export function pathDecrypt(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `decrypt/${nameSegment('name')}`,
    fields: FIELDS,
    takesArbitraryInput: true,
    operations: {
      update: async (request: Request, fields: FieldData<typeof FIELDS>) => {
        rejectUnknownFields(fields.raw, KNOWN_FIELDS);
        const batch = readBatchInput(fields.raw, CIPHER_ITEM_FIELDS);
        const items = batch === undefined ? [singleCiphertextItem(fields)] : batch.map(batchCiphertextItem);
        requireConsistentContext(items.map((item) => item.context));
        const prepared = prepareItems(items, decodeCiphertextItem);
        if (batch === undefined) unwrap(prepared[0]);

        const name = fields.get('name');
        const policy = await context.store.get(request.storage, name);
        if (policy === null) throw keyNotFound(name, 'encryption');

        const process = (item: Prepared<DecodedCiphertextItem>): Record<string, unknown> => ({
          plaintext: decrypt(policy, unwrap(item)).plaintext.toString('base64'),
        });
        if (batch === undefined) return { data: process(prepared[0]) };

        const outcome = await runBatch(prepared, context.logger, process);
        const data = { batch_results: withReferences(outcome, items.map((item) => item.reference)) };
        return batchResponse(request, data, outcome, fields.getIfSet('partial_failure_response_code'));
      },
    },
    helpSynopsis: 'Decrypt a ciphertext, or a batch of them, with a named key.',
    helpDescription: `
Returns the plaintext in base64. A ciphertext whose version is below the key's
min_decryption_version is rejected. With batch_input, a failed item reports its
error in place. The status is then 400, or partial_failure_response_code when
other items succeeded.`,
  });
}

/** Reads the single item of a request without `batch_input`. Rewrap uses it too. */
export function singleCiphertextItem(fields: FieldData<FieldMap>): CiphertextItem {
  const ciphertext = String(fields.get('ciphertext'));
  if (ciphertext === '') throw missingField('ciphertext', 'give the ciphertext to decrypt');
  return {
    ciphertext,
    context: String(fields.get('context')),
    nonce: String(fields.get('nonce')),
    associatedData: String(fields.get('associated_data')),
  };
}

/** Reads one `batch_input` item. Rewrap uses it too. */
export function batchCiphertextItem(item: BatchItem, index: number): CiphertextItem {
  const ciphertext = itemString(item, index, 'ciphertext');
  if (ciphertext === undefined) throw missingField(`batch_input[${index}].ciphertext`, 'give the ciphertext to decrypt');
  // Decrypt ignores plaintext and key_version, and rewrap reads key_version
  // itself, but a value of the wrong type is an error either way, as in Vault.
  itemString(item, index, 'plaintext');
  itemInteger(item, index, 'key_version');
  return {
    ciphertext,
    context: itemString(item, index, 'context'),
    nonce: itemString(item, index, 'nonce'),
    associatedData: itemString(item, index, 'associated_data'),
    reference: itemString(item, index, 'reference'),
  };
}

/**
 * Decodes an item's base64 fields. A nonce is decoded but not used: as in
 * Vault, decryption ignores it for every key that derives its own nonces.
 */
export function decodeCiphertextItem(item: CiphertextItem): DecodedCiphertextItem {
  if (item.ciphertext === '') throw missingField('ciphertext', 'give the ciphertext to decrypt');
  const context = decodeOptionalBase64('context', item.context);
  decodeOptionalBase64('nonce', item.nonce);
  const associatedData = decodeOptionalBase64('associated_data', item.associatedData);
  return { ciphertext: item.ciphertext, ...(context ? { context } : {}), ...(associatedData ? { associatedData } : {}) };
}
