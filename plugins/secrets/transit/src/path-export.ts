/**
 * `export/:type/:name(/:version)`: key material of an exportable key, or the
 * public keys of any signing key.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { TransitContext } from './context.js';
import { invalidField } from './errors.js';
import { NAME_FIELD } from './fields.js';
import { checkExportable, EXPORT_TYPES, exportKeyMaterial, isExportType } from './keys/export.js';
import { loadedVersions } from './keys/key-policy.js';

const FIELDS = {
  type: { type: 'string', description: `What to export: ${EXPORT_TYPES.join(', ')}.` },
  name: NAME_FIELD,
  version: { type: 'string', description: 'Version to export: a number, "v" and a number, or "latest". Omit for every version.' },
} as const;

export function pathExport(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `export/${nameSegment('type')}/${nameSegment('name')}(?:/(?<version>[^/]+))?`,
    fields: FIELDS,
    operations: {
      read: async (request, fields) => {
        const exportType = fields.get('type');
        if (!isExportType(exportType)) throw invalidField('type', `invalid export type "${exportType}": use one of ${EXPORT_TYPES.join(', ')}`);

        const policy = await context.store.get(request.storage, fields.get('name'));
        if (policy === null) return null;
        if (!policy.exportable && exportType !== 'public-key') throw badRequest('private key material is not exportable');
        checkExportable(policy, exportType);

        const keys: Record<string, string> = {};
        const versionText = fields.getIfSet('version');
        if (versionText === undefined) {
          for (const [number, version] of loadedVersions(policy)) keys[String(number)] = exportKeyMaterial(policy, version, exportType);
        } else {
          const number = versionText === 'latest' ? policy.latestVersion : parseVersion(versionText);
          if (number < policy.minDecryptionVersion) {
            throw invalidField('version', `${number} is below min_decryption_version ${policy.minDecryptionVersion}`);
          }
          const version = policy.versions.get(number);
          if (version === undefined) throw invalidField('version', `version ${number} does not exist`);
          keys[String(number)] = exportKeyMaterial(policy, version, exportType);
        }
        return { data: { name: policy.name, type: policy.type, keys } };
      },
    },
    helpSynopsis: 'Export key material or public keys of a named key.',
    helpDescription: `
encryption-key, signing-key and hmac-key need a key created or configured as
exportable. public-key works for every signing key. Only versions from
min_decryption_version on are exported.`,
  });
}

function parseVersion(text: string): number {
  const digits = text.startsWith('v') ? text.slice(1) : text;
  if (!/^[+-]?\d+$/.test(digits)) throw invalidField('version', `"${text}" is not a version: use a number, v<number> or latest`);
  return Number(digits);
}
