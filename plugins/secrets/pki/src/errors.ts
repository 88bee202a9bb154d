/**
 * The engine's error helpers. Every error is a CofferError: 400 for a
 * request the caller must change, 500 for a failure of the engine itself.
 * Messages that Vault clients may match keep Vault's wording.
 */
import { badRequest, CofferError } from '@coffer/sdk';

/** 400 naming the field and the problem. */
export function invalidField(field: string, problem: string): CofferError {
  return badRequest(`invalid field "${field}": ${problem}`);
}

/** 400 for a field the request must carry. */
export function missingField(field: string, reason: string): CofferError {
  return badRequest(`missing field "${field}": ${reason}`);
}

/** 400 for a request that needs a CA when the mount has none. */
export function noCaConfigured(): CofferError {
  return badRequest('no CA is configured for this mount: generate a root, set a signed intermediate, or import one through config/ca');
}

/** 400 for a role that does not exist, with Vault's text. */
export function unknownRole(name: string): CofferError {
  return badRequest(`unknown role: ${name}`);
}
