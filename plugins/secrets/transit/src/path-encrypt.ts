/**
 * `encrypt/:name`: encrypt base64-encoded plaintext, one item or a batch.
 *
 * A write to a key that does not exist is a `create`, so the server checks
 * the create capability, and creates the key (Vault's upsert): derived when
 * the items carry a context, of `type` (aes256-gcm96 by default). With only
 * the update capability, the server denies the request.
 */
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
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
import { invalidField, keyNotFound, missingField, NONCE_NOT_ALLOWED_MESSAGE } from './errors.js';
import {
  ASSOCIATED_DATA_FIELD,
  CONTEXT_FIELD,
  decodeBase64Field,
  decodeOptionalBase64,
  KEY_VERSION_FIELD,
  NAME_FIELD,
  NONCE_FIELD,
  PARTIAL_FAILURE_FIELD,
  batchPathFields,
  rejectUnknownFields,
} from './fields.js';
import { encrypt } from './keys/encryption.js';
import type { KeyPolicy } from './keys/key-policy.js';
import { DEFAULT_KEY_TYPE, isKeyType, supportsEncryption } from './keys/key-types.js';
import { keySpec } from './path-keys.js';

const FIELDS = {
  name: NAME_FIELD,
  plaintext: { type: 'string', description: 'Base64-encoded plaintext to encrypt.' },
  context: CONTEXT_FIELD,
  nonce: NONCE_FIELD,
  key_version: KEY_VERSION_FIELD,
  associated_data: ASSOCIATED_DATA_FIELD,
  type: { type: 'string', default: DEFAULT_KEY_TYPE, description: 'Type of the key to create when it does not exist.' },
  convergent_encryption: { type: 'bool', description: 'Create the missing key with convergent encryption, which needs a context.' },
  partial_failure_response_code: PARTIAL_FAILURE_FIELD,
} as const;
const KNOWN_FIELDS = batchPathFields(FIELDS);

/** An item as the request sent it, still base64-encoded. */
interface EncryptItem {
  plaintext: string;
  context?: string;
  nonce?: string;
  keyVersion: number;
  associatedData?: string;
  reference?: string;
}

/** An item ready to encrypt. */
interface DecodedItem {
  plaintext: Buffer;
  context?: Buffer;
  associatedData?: Buffer;
  keyVersion: number;
}

const EXISTED_WARNING = 'Attempted creation of the key during the encrypt operation, but it was created beforehand';

export function pathEncrypt(context: TransitContext): PathDefinition<FieldMap> {
  const handler = async (request: Request, fields: FieldData<typeof FIELDS>) => {
    rejectUnknownFields(fields.raw, KNOWN_FIELDS);
    const batch = readBatchInput(fields.raw, CIPHER_ITEM_FIELDS);
    const items = batch === undefined ? [singleItem(fields)] : batch.map(batchItem);
    requireConsistentContext(items.map((item) => item.context));
    // As in Vault, type only matters when the request creates the key.
    const typeName = fields.get('type');
    if (request.operation === 'create' && (!isKeyType(typeName) || !supportsEncryption(typeName))) {
      throw invalidField('type', `"${typeName}" is not a key type that supports encryption`);
    }

    const prepared = prepareItems(items, decodeItem);
    // A single invalid item fails the request before the key is created.
    if (batch === undefined) unwrap(prepared[0]);

    const { policy, warnings } = await loadOrCreateKey(context, request, fields, items, prepared);
    const process = (item: Prepared<DecodedItem>): Record<string, unknown> => {
      const decoded = unwrap(item);
      const result = encrypt(requirePolicy(policy, fields.get('name')), { ...decoded, version: decoded.keyVersion });
      return { ciphertext: result.ciphertext, key_version: result.version };
    };
    if (batch === undefined) return { data: process(prepared[0]), ...(warnings.length > 0 ? { warnings } : {}) };

    const outcome = await runBatch(prepared, context.logger, process);
    const data = { batch_results: withReferences(outcome, items.map((item) => item.reference)) };
    return batchResponse(request, data, outcome, fields.getIfSet('partial_failure_response_code'), warnings);
  };

  return definePath({
    pattern: `encrypt/${nameSegment('name')}`,
    fields: FIELDS,
    takesArbitraryInput: true,
    existenceCheck: async (request, fields) => (await context.store.get(request.storage, fields.get('name'))) !== null,
    operations: { create: handler, update: handler },
    helpSynopsis: 'Encrypt base64-encoded plaintext, or a batch of them, with a named key.',
    helpDescription: `
Returns vault:v<N>:<base64> ciphertexts. With batch_input, each item is
encrypted on its own and a failed item reports its error in place. The status
is then 400, or partial_failure_response_code when other items succeeded. With
the create capability, a missing key is created first.`,
  });
}

function singleItem(fields: FieldData<typeof FIELDS>): EncryptItem {
  const plaintext = fields.getIfSet('plaintext');
  if (plaintext === undefined) throw missingField('plaintext', 'give the base64-encoded data to encrypt');
  return {
    plaintext,
    context: fields.get('context'),
    nonce: fields.get('nonce'),
    keyVersion: fields.get('key_version'),
    associatedData: fields.get('associated_data'),
  };
}

function batchItem(item: BatchItem, index: number): EncryptItem {
  const plaintext = itemString(item, index, 'plaintext');
  if (plaintext === undefined) throw missingField(`batch_input[${index}].plaintext`, 'give the base64-encoded data to encrypt');
  // Encrypt ignores the ciphertext of a decrypt item, but it must be a string.
  itemString(item, index, 'ciphertext');
  return {
    plaintext,
    context: itemString(item, index, 'context'),
    nonce: itemString(item, index, 'nonce'),
    keyVersion: itemInteger(item, index, 'key_version'),
    associatedData: itemString(item, index, 'associated_data'),
    reference: itemString(item, index, 'reference'),
  };
}

function decodeItem(item: EncryptItem): DecodedItem {
  const plaintext = decodeBase64Field('plaintext', item.plaintext);
  const context = decodeOptionalBase64('context', item.context);
  // Coffer creates convergent keys of Vault's version 3 only, which derive
  // the nonce from the plaintext, so no key takes a nonce from the caller.
  if (item.nonce !== undefined && item.nonce !== '') {
    decodeBase64Field('nonce', item.nonce);
    throw badRequest(NONCE_NOT_ALLOWED_MESSAGE);
  }
  const associatedData = decodeOptionalBase64('associated_data', item.associatedData);
  return { plaintext, keyVersion: item.keyVersion, ...(context ? { context } : {}), ...(associatedData ? { associatedData } : {}) };
}

async function loadOrCreateKey(
  context: TransitContext,
  request: Request,
  fields: FieldData<typeof FIELDS>,
  items: EncryptItem[],
  prepared: Prepared<DecodedItem>[],
): Promise<{ policy: KeyPolicy | null; warnings: string[] }> {
  const name = fields.get('name');
  if (request.operation !== 'create') {
    const policy = await context.store.get(request.storage, name);
    if (policy === null) throw keyNotFound(name, 'encryption');
    return { policy, warnings: [] };
  }

  const derived = items[0].context !== undefined && items[0].context !== '';
  const convergent = fields.get('convergent_encryption');
  if (convergent && !derived) {
    throw invalidField('convergent_encryption', 'convergent encryption requires derivation to be enabled, so context is required');
  }
  // When every item failed to decode there is nothing to encrypt, and the
  // request must not leave a new key behind.
  if (prepared.every((item) => 'error' in item)) return { policy: null, warnings: [] };

  const spec = keySpec({
    type: fields.get('type'),
    derived,
    convergent,
    exportable: false,
    allowPlaintextBackup: false,
    autoRotatePeriod: 0,
    keySize: 0,
  });
  const { policy, created } = await context.store.create(request.storage, name, spec);
  return { policy, warnings: created ? [] : [EXISTED_WARNING] };
}

function requirePolicy(policy: KeyPolicy | null, name: string): KeyPolicy {
  if (policy === null) throw keyNotFound(name, 'encryption');
  return policy;
}
