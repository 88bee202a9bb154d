/**
 * sys/tools/random and sys/tools/hash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';

/** Vault's upper bound for one sys/tools/random request. */
const MAX_RANDOM_BYTES = 128 * 1024;

const HASH_ALGORITHMS: Record<string, string> = {
  'sha2-224': 'sha224',
  'sha2-256': 'sha256',
  'sha2-384': 'sha384',
  'sha2-512': 'sha512',
  'sha2-512/224': 'sha512-224',
  'sha2-512/256': 'sha512-256',
  'sha3-224': 'sha3-224',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
};

export function toolPaths(): PathDefinition<FieldMap>[] {
  const randomFields = {
    urlsource: { type: 'string', description: 'Source given in the path.' },
    urlbytes: { type: 'string', description: 'Byte count given in the path.' },
    source: { type: 'string', description: 'Entropy source: "platform", "seal" or "all".', default: 'platform' },
    bytes: { type: 'int', description: 'Number of bytes to return.', default: 32 },
    format: { type: 'string', description: 'Output encoding: "base64" or "hex".', default: 'base64' },
  } as const;

  return [
    definePath({
      pattern: 'tools/random(?:/(?<urlsource>platform|seal|all))?(?:/(?<urlbytes>[^/]+))?',
      fields: randomFields,
      operations: {
        async update(_request, fields) {
          const source = fields.get('urlsource') || fields.get('source');
          if (!['platform', 'seal', 'all'].includes(source)) {
            throw badRequest(`invalid "source" "${source}": must be "platform", "seal" or "all"`);
          }
          let count = fields.get('bytes');
          const urlBytes = fields.get('urlbytes');
          if (urlBytes !== '') {
            if (!/^\d+$/.test(urlBytes)) throw badRequest(`invalid "bytes" "${urlBytes}" in the path: expected a number`);
            count = Number(urlBytes);
          }
          if (count < 1 || count > MAX_RANDOM_BYTES) {
            throw badRequest(`invalid "bytes" ${count}: must be between 1 and ${MAX_RANDOM_BYTES}`);
          }
          const format = fields.get('format');
          if (format !== 'base64' && format !== 'hex') throw badRequest(`invalid "format" "${format}": must be "base64" or "hex"`);
          return { data: { random_bytes: randomBytes(count).toString(format) } };
        },
      },
      helpSynopsis: 'Generate random bytes.',
      helpDescription: 'Returns cryptographically secure random bytes from the platform source.',
    }),
    definePath({
      // The algorithm may contain a slash, as in "sha2-512/256".
      pattern: 'tools/hash(?:/(?<urlalgorithm>.+))?',
      fields: {
        urlalgorithm: { type: 'string', description: 'Algorithm given in the path.' },
        input: { type: 'string', description: 'Base64-encoded input data.', required: true },
        algorithm: { type: 'string', description: `Hash algorithm: ${Object.keys(HASH_ALGORITHMS).join(', ')}.`, default: 'sha2-256' },
        format: { type: 'string', description: 'Output encoding: "hex" or "base64".', default: 'hex' },
      },
      operations: {
        async update(_request, fields) {
          const algorithm = fields.get('urlalgorithm') || fields.get('algorithm');
          const nodeAlgorithm = Object.hasOwn(HASH_ALGORITHMS, algorithm) ? HASH_ALGORITHMS[algorithm] : undefined;
          if (nodeAlgorithm === undefined) {
            throw badRequest(`invalid "algorithm" "${algorithm}": must be one of ${Object.keys(HASH_ALGORITHMS).join(', ')}`);
          }
          const input = fields.get('input');
          if (!isPaddedBase64(input)) throw badRequest('invalid "input": must be base64-encoded with padding');
          const format = fields.get('format');
          if (format !== 'hex' && format !== 'base64') throw badRequest(`invalid "format" "${format}": must be "hex" or "base64"`);
          const sum = createHash(nodeAlgorithm).update(Buffer.from(input, 'base64')).digest(format);
          return { data: { sum } };
        },
      },
      helpSynopsis: 'Hash data.',
      helpDescription: 'Returns the digest of base64-encoded input with a SHA-2 or SHA-3 algorithm.',
    }),
  ];
}

/** Returns whether `text` is standard base64 with padding, the only form Vault decodes. */
function isPaddedBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}
