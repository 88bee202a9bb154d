/**
 * `keys/:name/trim`: destroy the versions below `min_available_version`.
 */
import { definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { TransitContext } from './context.js';
import { invalidField, keyNotFound, missingField } from './errors.js';
import { NAME_FIELD } from './fields.js';
import { describeKey } from './key-response.js';
import type { DraftPolicy } from './keys/key-policy.js';

const FIELDS = {
  name: NAME_FIELD,
  min_available_version: {
    type: 'int',
    description: 'Lowest version to keep. It may not exceed min_encryption_version or min_decryption_version.',
  },
} as const;

export function pathTrim(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `keys/${nameSegment('name')}/trim`,
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const name = fields.get('name');
        const requested = fields.getIfSet('min_available_version');
        if (requested === undefined) throw missingField('min_available_version', 'give the lowest version to keep');

        const policy = await context.store.update(request.storage, name, (draft) => trim(draft, requested));
        if (policy === null) throw keyNotFound(name);
        return { data: describeKey(policy) };
      },
    },
    helpSynopsis: 'Trim a key: destroy its oldest versions for good.',
    helpDescription: `
Destroys every version below min_available_version. Data encrypted with those
versions can never be decrypted again. min_encryption_version must be set, and
min_available_version may not exceed it or min_decryption_version.`,
  });
}

/** Applies a trim to a draft with Vault's rules, in Vault's order. */
function trim(draft: DraftPolicy, requested: number): void {
  const field = 'min_available_version';
  if (requested < draft.minAvailableVersion) {
    throw invalidField(field, `${requested} is below the current ${draft.minAvailableVersion}: a trim cannot be undone`);
  }
  if (draft.minEncryptionVersion === 0) throw invalidField(field, 'cannot be set while min_encryption_version is 0: set it first');
  if (requested > draft.minEncryptionVersion) {
    throw invalidField(field, `${requested} is above min_encryption_version ${draft.minEncryptionVersion}`);
  }
  if (requested > draft.minDecryptionVersion) {
    throw invalidField(field, `${requested} is above min_decryption_version ${draft.minDecryptionVersion}`);
  }
  if (requested <= 0) throw invalidField(field, `${requested} is not positive`);

  draft.minAvailableVersion = requested;
  for (const version of [...draft.versions.keys()]) {
    if (version < requested) draft.versions.delete(version);
  }
}
