/**
 * `backup/:name` and `restore(/:name)`: move a whole key, every version and
 * its settings, between mounts or servers as one base64 string.
 *
 * The backup is the key's stored document in plaintext, so it needs both
 * `exportable` and `allow_plaintext_backup` on the key, as in Vault.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { decodeStandardBase64 } from './base64.js';
import type { TransitContext } from './context.js';
import { invalidField, missingField } from './errors.js';
import { NAME_FIELD } from './fields.js';
import type { KeyPolicy } from './keys/key-policy.js';
import { parsePolicy, serializePolicy } from './keys/serialize.js';

export function pathBackup(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `backup/${nameSegment('name')}`,
    fields: { name: NAME_FIELD },
    operations: {
      read: async (request, fields) => {
        // A backup is recorded in the key itself, so it is a change.
        const policy = await context.store.update(request.storage, fields.get('name'), (draft) => {
          if (!draft.exportable) throw badRequest('exporting is disallowed on the policy');
          if (!draft.allowPlaintextBackup) throw badRequest('plaintext backup is disallowed on the policy');
          draft.backupInfo = { time: context.clock.now(), version: draft.latestVersion };
        });
        if (policy === null) return null;
        return { data: { backup: serializePolicy(policy).toString('base64') } };
      },
    },
    helpSynopsis: 'Back up a named key in plaintext.',
    helpDescription: `
Returns every version of the key and its settings as one base64 string, for
restore/. The key must be exportable and allow plaintext backups. The string
holds the key material unencrypted: protect it like the key itself.`,
  });
}

const RESTORE_FIELDS = {
  name: { type: 'string', description: 'Name of the restored key, given in the URL. Defaults to the name in the backup.' },
  backup: { type: 'string', description: 'Output of backup/.' },
  force: { type: 'bool', description: 'Replace an existing key of the same name.' },
} as const;

export function pathRestore(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `restore(?:/${nameSegment('name')})?`,
    fields: RESTORE_FIELDS,
    operations: {
      update: async (request, fields) => {
        const backup = fields.get('backup');
        if (backup === '') throw missingField('backup', 'give the output of backup/');
        const parsed = parseBackup(backup);
        const name = fields.getIfSet('name') ?? parsed.name;
        const force = fields.get('force');

        const policy: KeyPolicy = {
          ...parsed,
          name,
          restoreInfo: { time: context.clock.now(), version: parsed.latestVersion },
        };
        await context.store.replace(request.storage, policy, (existing) => {
          if (existing !== null && !force) throw badRequest(`key "${name}" already exists: set force to replace it`);
        });
        return null;
      },
    },
    helpSynopsis: 'Restore a key from a backup.',
    helpDescription: `
Stores the key from backup/ output under its own name or the given one. An
existing key of that name is only replaced with force. Restoring to a new name
first is the safe way to check a backup.`,
  });
}

function parseBackup(backup: string): KeyPolicy {
  const decoded = decodeStandardBase64(backup);
  if ('problem' in decoded) throw invalidField('backup', decoded.problem);
  try {
    return parsePolicy(decoded.bytes, true);
  } catch (err) {
    throw invalidField('backup', `not a Coffer key backup: ${(err as Error).message}`);
  }
}
