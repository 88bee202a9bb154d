/**
 * Field declarations shared by several paths, and checks of raw request
 * fields that the SDK's field types cannot express.
 */
import { badRequest } from '@coffer/sdk';
import { decodeStandardBase64 } from './base64.js';
import { invalidField } from './errors.js';

export const NAME_FIELD = { type: 'string', description: 'Name of the key.' } as const;

export const CONTEXT_FIELD = {
  type: 'string',
  description: 'Base64-encoded context for key derivation. Required when the key is derived.',
} as const;

export const NONCE_FIELD = {
  type: 'string',
  description:
    'Base64-encoded 12-byte nonce. Only keys of Vault 0.6.1\'s first convergent scheme take one; Coffer derives convergent nonces itself and rejects a nonce on encryption.',
} as const;

export const KEY_VERSION_FIELD = {
  type: 'int',
  description: 'Version of the key to use: 0 (the default) for the latest, else at least min_encryption_version.',
} as const;

export const ASSOCIATED_DATA_FIELD = {
  type: 'string',
  description: 'Base64-encoded associated data that AEAD key types authenticate with the ciphertext. Decryption needs the same value.',
} as const;

export const PARTIAL_FAILURE_FIELD = {
  type: 'int',
  description:
    'HTTP status to return when some batch items fail and others succeed, instead of 400. When every item fails the status stays 400 (or 500).',
} as const;

/** Returns the field names a path with `batch_input` accepts: its declared fields and `batch_input`. */
export function batchPathFields(fields: object): ReadonlySet<string> {
  return new Set([...Object.keys(fields), 'batch_input']);
}

/**
 * Rejects raw fields that the path does not know. Paths that take
 * `batch_input` accept arbitrary input, because the SDK has no type for a
 * list of objects, and check the field names here instead.
 *
 * @throws CofferError (400) naming every unknown field.
 */
export function rejectUnknownFields(raw: Record<string, unknown>, known: ReadonlySet<string>): void {
  const unknown = Object.keys(raw).filter((name) => !known.has(name));
  if (unknown.length > 0) throw badRequest(unknown.map((name) => `unknown field "${name}"`).join('; '));
}

/**
 * Decodes a standard base64 field.
 * @throws CofferError (400) naming the field and where the encoding breaks,
 *   without repeating the value, which may be secret.
 */
export function decodeBase64Field(field: string, value: string): Buffer {
  const result = decodeStandardBase64(value);
  if ('problem' in result) throw invalidField(field, result.problem);
  return result.bytes;
}

/** Decodes an optional base64 field, treating an empty string as absent, as Vault does. */
export function decodeOptionalBase64(field: string, value: string | undefined): Buffer | undefined {
  if (value === undefined || value === '') return undefined;
  return decodeBase64Field(field, value);
}
