/**
 * `wrapping_key`: the public half of the mount's RSA-4096 key that wraps
 * key material for `keys/:name/import`.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { TransitContext } from './context.js';

export function pathWrappingKey(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'wrapping_key',
    fields: {},
    operations: {
      read: async (request) => {
        const wrappingKey = await context.wrappingKeys.findOrCreate(request.storage);
        return { data: { public_key: wrappingKey.publicKeyPem() } };
      },
    },
    helpSynopsis: 'Return the public key that wraps keys for import.',
    helpDescription: `
Returns the mount's RSA-4096 wrapping key as a PEM public key. The first read
generates it, which takes a few seconds; later reads and restarts return the
same key. Encrypt a random AES-256 key with it by RSA-OAEP, wrap the key to
import with that AES key by AES key wrap with padding (RFC 5649), and send both
to keys/:name/import.`,
  });
}
