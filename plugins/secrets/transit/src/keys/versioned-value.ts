/**
 * Values tagged with the key version that made them: `vault:v<N>:<data>`,
 * Vault's default version template, used for ciphertexts, signatures and
 * HMACs alike so that existing Vault clients parse them unchanged.
 */
import { badRequest } from '@coffer/sdk';

const PREFIX = 'vault:v';

/** Go's strconv.Atoi syntax, which Vault uses to read the version. */
const VERSION_PATTERN = /^[+-]?\d+$/;

export interface VersionedValue {
  version: number;
  /** The part after the second colon, still encoded. */
  data: string;
}

export function formatVersioned(version: number, data: string): string {
  return `${PREFIX}${version}:${data}`;
}

/**
 * Splits a versioned value into its version and data.
 *
 * @param kind - "ciphertext", "signature" or "HMAC", for the error messages.
 * @throws CofferError (400) with Vault's "invalid <kind>: ..." messages.
 */
export function parseVersioned(text: string, kind: string): VersionedValue {
  if (!text.startsWith(PREFIX)) throw badRequest(`invalid ${kind}: no prefix`);

  const rest = text.slice(PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon === -1) throw badRequest(`invalid ${kind}: wrong number of fields`);

  const versionText = rest.slice(0, colon);
  if (!VERSION_PATTERN.test(versionText) || !Number.isSafeInteger(Number(versionText))) {
    throw badRequest(`invalid ${kind}: version number could not be decoded`);
  }
  return { version: Number(versionText), data: rest.slice(colon + 1) };
}
