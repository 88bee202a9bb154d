/**
 * `keys/:name/config`: the settings of a key that may change after creation.
 */
import { definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { TransitContext } from './context.js';
import { invalidField, keyNotFound } from './errors.js';
import { NAME_FIELD } from './fields.js';
import { describeKey } from './key-response.js';
import type { DraftPolicy } from './keys/key-policy.js';
import { mayRotate } from './keys/key-store.js';
import { autoRotatePeriodTooLong, checkAutoRotatePeriod } from './path-keys.js';

const FIELDS = {
  name: NAME_FIELD,
  min_decryption_version: {
    type: 'int',
    description: 'Lowest version that may decrypt and verify. 0 is taken as 1.',
  },
  min_encryption_version: {
    type: 'int',
    description: 'Lowest version that may encrypt, sign and make HMACs. 0 allows every version.',
  },
  deletion_allowed: { type: 'bool', description: 'Whether the key may be deleted.' },
  exportable: { type: 'bool', description: 'Allow export of the key material. Once set, it cannot be unset.' },
  allow_plaintext_backup: { type: 'bool', description: 'Allow plaintext backups of the key. Once set, it cannot be unset.' },
  auto_rotate_period: {
    type: 'duration',
    description: 'Time between automatic rotations, at least 1h. 0 turns them off.',
    tooLong: autoRotatePeriodTooLong,
  },
} as const;

/** The settings a config request sets. Absent fields keep their value. */
interface ConfigChange {
  minDecryptionVersion?: number;
  minEncryptionVersion?: number;
  deletionAllowed?: boolean;
  exportable?: boolean;
  allowPlaintextBackup?: boolean;
  autoRotatePeriod?: number;
}

/** Vault's warning when min_decryption_version 0 is raised to 1. */
const MIN_DECRYPTION_ZERO_WARNING = 'since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1';

export function pathConfig(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `keys/${nameSegment('name')}/config`,
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const name = fields.get('name');
        const change: ConfigChange = {
          minDecryptionVersion: fields.getIfSet('min_decryption_version'),
          minEncryptionVersion: fields.getIfSet('min_encryption_version'),
          deletionAllowed: fields.getIfSet('deletion_allowed'),
          exportable: fields.getIfSet('exportable'),
          allowPlaintextBackup: fields.getIfSet('allow_plaintext_backup'),
          autoRotatePeriod: fields.getIfSet('auto_rotate_period'),
        };
        const warnings = change.minDecryptionVersion === 0 ? [MIN_DECRYPTION_ZERO_WARNING] : [];

        const policy = await context.store.update(request.storage, name, (draft) => applyConfig(draft, change));
        if (policy === null) throw invalidField('name', `no existing key named ${name} could be found`);
        return warnings.length > 0 ? { data: describeKey(policy), warnings } : { data: describeKey(policy) };
      },
    },
    helpSynopsis: 'Configure the version limits and permissions of a key.',
    helpDescription: `
min_decryption_version stops older versions from decrypting and verifying;
min_encryption_version stops them from encrypting and signing. exportable and
allow_plaintext_backup can be turned on but never off again.`,
  });
}

/** Applies a config change to a draft with Vault's checks. */
function applyConfig(draft: DraftPolicy, change: ConfigChange): void {
  if (change.minDecryptionVersion !== undefined) {
    const requested = change.minDecryptionVersion;
    if (requested < 0) throw invalidField('min_decryption_version', `${requested} is negative`);
    const version = requested === 0 ? 1 : requested;
    if (version > draft.latestVersion) {
      throw invalidField('min_decryption_version', `${version} is above the latest key version ${draft.latestVersion}`);
    }
    draft.minDecryptionVersion = version;
  }
  if (change.minEncryptionVersion !== undefined) {
    const requested = change.minEncryptionVersion;
    if (requested < 0) throw invalidField('min_encryption_version', `${requested} is negative`);
    if (requested > draft.latestVersion) {
      throw invalidField('min_encryption_version', `${requested} is above the latest key version ${draft.latestVersion}`);
    }
    draft.minEncryptionVersion = requested;
  }
  if (draft.minEncryptionVersion > 0 && draft.minEncryptionVersion < draft.minDecryptionVersion) {
    throw invalidField(
      'min_encryption_version',
      `${draft.minEncryptionVersion} is below min_decryption_version ${draft.minDecryptionVersion}: it must be 0 or at least min_decryption_version`,
    );
  }
  if (draft.minAvailableVersion > draft.minEncryptionVersion && change.minEncryptionVersion !== undefined) {
    throw invalidField('min_encryption_version', `${draft.minEncryptionVersion} is below min_available_version ${draft.minAvailableVersion}`);
  }
  if (draft.minAvailableVersion > draft.minDecryptionVersion) {
    throw invalidField('min_decryption_version', `${draft.minDecryptionVersion} is below min_available_version ${draft.minAvailableVersion}`);
  }

  if (change.deletionAllowed !== undefined) draft.deletionAllowed = change.deletionAllowed;
  // Once allowed, export and plaintext backup stay allowed, as in Vault.
  if (change.exportable === true) draft.exportable = true;
  if (change.allowPlaintextBackup === true) draft.allowPlaintextBackup = true;

  if (change.autoRotatePeriod !== undefined) {
    checkAutoRotatePeriod(change.autoRotatePeriod);
    if (change.autoRotatePeriod !== 0 && !mayRotate(draft)) {
      throw invalidField('auto_rotate_period', `imported key ${draft.name} does not allow rotation: it was imported without allow_rotation`);
    }
    draft.autoRotatePeriod = change.autoRotatePeriod;
  }
}
