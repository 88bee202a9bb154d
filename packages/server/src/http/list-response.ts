/**
 * Vault's rule for LIST responses: a LIST that found nothing gets a 404 with
 * an empty `errors` list, whatever form the backend returned. So clients
 * detect an empty folder the same way on every mount, plugins included.
 */
import type { Response } from '@coffer/sdk';

/**
 * Returns true when a LIST response lists nothing: it has no data and no
 * warnings, or its `keys` member is null or an empty list. A response with
 * other data and no `keys` member is not a listing, so it goes out as it is.
 */
export function listsNothing(response: Response): boolean {
  const data = response.data;
  if (data === null || data === undefined || !hasOwnMember(data)) return response.warnings === undefined || response.warnings.length === 0;
  if (!Object.hasOwn(data, 'keys')) return false;
  const keys = data.keys;
  return keys === null || keys === undefined || (Array.isArray(keys) && keys.length === 0);
}

function hasOwnMember(value: object): boolean {
  for (const name in value) {
    if (Object.hasOwn(value, name)) return true;
  }
  return false;
}
