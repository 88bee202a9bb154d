/**
 * `keys/:name/rotate`: add a key version with new material.
 */
import { definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { TransitContext } from './context.js';
import { keyNotFound } from './errors.js';
import { NAME_FIELD } from './fields.js';
import { describeKey } from './key-response.js';

export function pathRotate(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `keys/${nameSegment('name')}/rotate`,
    fields: { name: NAME_FIELD },
    operations: {
      update: async (request, fields) => {
        const name = fields.get('name');
        const policy = await context.store.update(request.storage, name, (draft) => context.store.addVersion(draft));
        if (policy === null) throw keyNotFound(name);
        return { data: describeKey(policy) };
      },
    },
    helpSynopsis: 'Rotate a key: add a version with new key material.',
    helpDescription: `
After a rotation, encryption, signing and HMAC use the new version by default,
and older versions still decrypt and verify down to min_decryption_version.
Use rewrap to move ciphertexts to the new version.`,
  });
}
