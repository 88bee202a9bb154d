/**
 * Errors of the engine. Every one is a CofferError with status 400: a
 * request the caller must change. Where Vault has a message for the same
 * case, the text follows Vault's, lowercased; the others name the field.
 */
import { badRequest, type CofferError } from '@coffer/sdk';

/** 400 naming the field and the problem. */
export function invalidField(field: string, problem: string): CofferError {
  return badRequest(`invalid field "${field}": ${problem}`);
}

/** Vault's text for a read or a signature before `config/ca` has keys. */
export const CA_NOT_CONFIGURED = "keys haven't been configured yet";

/** 400 for a request that needs the CA key before one is configured. */
export function caNotConfigured(): CofferError {
  return badRequest(`${CA_NOT_CONFIGURED}: write config/ca to generate or submit the CA key`);
}
