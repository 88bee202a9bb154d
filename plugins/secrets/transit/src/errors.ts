/**
 * The engine's error catalogue. Every error is a CofferError: 400 for a
 * request the caller must change, 500 for a failure of the engine itself.
 * Messages that Vault clients may match keep Vault's text. The others name
 * the field and, where it is not secret, the value.
 */
import { badRequest, CofferError } from '@coffer/sdk';

/**
 * Vault's text for a ciphertext, signature or HMAC whose version is below
 * `min_decryption_version` (`keysutil.ErrTooOld`).
 */
export const TOO_OLD_MESSAGE = 'ciphertext or signature version is disallowed by policy (too old)';

/** Vault's text for a nonce sent with a key that derives its nonces itself. */
export const NONCE_NOT_ALLOWED_MESSAGE = 'provided nonce not allowed for this key';

/** Vault's text for a failed AEAD authentication, from Go's crypto/cipher. */
export const AUTHENTICATION_FAILED_MESSAGE = 'cipher: message authentication failed';

/** 400 naming the field and the problem. */
export function invalidField(field: string, problem: string): CofferError {
  return badRequest(`invalid field "${field}": ${problem}`);
}

/** 400 for a field the request must carry. */
export function missingField(field: string, reason: string): CofferError {
  return badRequest(`missing field "${field}": ${reason}`);
}

/**
 * 400 for a request on a key that does not exist, the status Vault returns.
 * @param role - The use of the key in the request, such as "encryption" or "signing".
 */
export function keyNotFound(name: string, role?: string): CofferError {
  return badRequest(role === undefined ? `key "${name}" not found` : `${role} key "${name}" not found`);
}

/** 400 for a key whose type does not support the operation. */
export function unsupportedByKeyType(operation: string, type: string): CofferError {
  return badRequest(`key type ${type} does not support ${operation}`);
}

/** Returns the HTTP status of an error thrown while one batch item was processed. */
export function errorStatus(err: unknown): number {
  return err instanceof CofferError ? err.status : 500;
}

/** Returns the message of an error for a batch item, hiding the text of errors that are not CofferErrors. */
export function errorMessage(err: unknown): string {
  return err instanceof CofferError ? err.message : 'internal error';
}
