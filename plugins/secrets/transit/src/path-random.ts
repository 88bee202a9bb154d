/**
 * `random(/:source)(/:bytes)`: random bytes from the operating system's
 * CSPRNG. The URL may name the source, the byte count, or both, so that ACL
 * policies can limit either, as in Vault.
 */
import { randomBytes } from 'node:crypto';
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { invalidField } from './errors.js';

/** Vault's limit on one request: 128 KiB. */
export const MAX_RANDOM_BYTES = 128 * 1024;

const SOURCES = ['platform', 'seal', 'all'];

/**
 * Coffer's seals add no entropy source, so "seal" and "all" read the
 * platform source like "platform" does; Vault warns the same way when its
 * seal has none.
 */
const NO_SEAL_ENTROPY_WARNING = 'no seal/entropy augmentation available, using platform entropy source';

const FIELDS = {
  urlsource: { type: 'string', description: 'Entropy source, given in the URL: platform (the default), seal or all. May also be the byte count.' },
  // Coffer takes the source from the URL only, so ACL policies on random/seal
  // hold. Vault also reads this body field when the URL names no source.
  // Declaring the field keeps a Vault client that sends it from getting "unknown field".
  source: { type: 'string', description: 'Ignored: give the source in the URL, as random/<source>.' },
  urlbytes: { type: 'string', description: 'Number of bytes, given in the URL.' },
  bytes: { type: 'int', default: 32, description: `Number of bytes, from 1 to ${MAX_RANDOM_BYTES}; defaults to 32.` },
  format: { type: 'string', default: 'base64', description: 'Output encoding: base64 (the default) or hex.' },
} as const;

export function pathRandom(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'random(?:/(?<urlsource>[^/]+))?(?:/(?<urlbytes>[^/]+))?',
    fields: FIELDS,
    operations: {
      update: async (_request, fields) => {
        const { source, bytes } = sourceAndCount(fields.getIfSet('urlsource'), fields.getIfSet('urlbytes'), fields.get('bytes'));
        const format = fields.get('format');
        if (!SOURCES.includes(source)) throw invalidField('source', `unsupported entropy source "${source}": use platform, seal or all`);
        if (bytes < 1) throw invalidField('bytes', `${bytes} is less than 1`);
        if (bytes > MAX_RANDOM_BYTES) throw invalidField('bytes', `${bytes} is more than the limit of ${MAX_RANDOM_BYTES}`);
        if (format !== 'hex' && format !== 'base64') throw invalidField('format', `unsupported encoding format "${format}": use hex or base64`);

        const random = randomBytes(bytes).toString(format);
        const data = { random_bytes: random };
        return source === 'platform' ? { data } : { data, warnings: [NO_SEAL_ENTROPY_WARNING] };
      },
    },
    helpSynopsis: 'Generate random bytes.',
    helpDescription: `
Returns high-entropy random bytes, 32 by default, in base64 or hex. The URL
may carry the source (platform, seal or all), the byte count, or both.`,
  });
}

/** Reads the URL segments the way Vault does: one segment is a source if it names one, else a count. */
function sourceAndCount(source: string | undefined, urlBytes: string | undefined, bodyBytes: number): { source: string; bytes: number } {
  if (source === undefined) return { source: 'platform', bytes: bodyBytes };
  if (urlBytes === undefined) {
    return SOURCES.includes(source) ? { source, bytes: bodyBytes } : { source: 'platform', bytes: parseCount('bytes', source) };
  }
  return { source, bytes: parseCount('bytes', urlBytes) };
}

function parseCount(field: string, text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw invalidField(field, `"${text}" in the URL is not a byte count`);
  return Number(text);
}
