/**
 * Reading the shared `token_*` fields of a user, with the checks the SDK
 * leaves to the method.
 */
import { badRequest, readTokenSettings, type FieldData, type FieldMap, type TokenSettings } from '@coffer/sdk';
import { checkCidrs } from './cidr.js';

/**
 * Reads the token fields of a request over `existing`.
 * @throws CofferError (400) naming the invalid field.
 */
export function parseTokenSettings(fields: FieldData<FieldMap>, existing?: TokenSettings): TokenSettings {
  let settings: TokenSettings;
  try {
    settings = readTokenSettings(fields, existing);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  checkCidrs('token_bound_cidrs', settings.tokenBoundCidrs);
  return settings;
}
