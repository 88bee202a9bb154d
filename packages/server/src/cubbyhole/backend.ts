/**
 * The cubbyhole secrets engine at `cubbyhole/`: storage private to each
 * token. The pipeline hands each request a storage view named by the
 * calling token's cubbyhole ID, so one token can never reach another's, and
 * the token store deletes that view when the token is revoked.
 */
import { Backend, badRequest, definePath, parseJson, stringifyJson, validateStorageKey, type Request } from '@coffer/sdk';

const CUBBYHOLE_PREFIX = 'cubbyhole/';

/** Returns the barrier prefix of one token's cubbyhole. */
export function cubbyholePrefix(cubbyholeId: string): string {
  return `${CUBBYHOLE_PREFIX}${cubbyholeId}/`;
}

function requireKey(request: Request): string {
  if (request.path === '' || request.path.endsWith('/')) throw badRequest(`invalid path "${request.path}": a cubbyhole entry needs a name`);
  const problem = validateStorageKey(request.path);
  if (problem !== null) throw badRequest(`invalid path "${request.path}": ${problem}`);
  return request.path;
}

export function createCubbyholeBackend(): Backend {
  return new Backend({
    backendType: 'logical',
    help: 'Per-token private storage, destroyed when the token is revoked.',
    paths: [
      definePath({
        pattern: '.*',
        fields: {},
        takesArbitraryInput: true,
        existenceCheck: async (request) => (await request.storage.get(requireKey(request))) !== null,
        operations: {
          async read(request) {
            const stored = await request.storage.get(requireKey(request));
            if (stored === null) return null;
            return { data: parseJson(stored.value.toString('utf8')) as Record<string, unknown> };
          },
          async create(request, fields) {
            return write(request, fields.raw);
          },
          async update(request, fields) {
            return write(request, fields.raw);
          },
          async delete(request) {
            await request.storage.delete(requireKey(request));
            return null;
          },
          async list(request) {
            // An empty list becomes a 404 in the HTTP layer, as for every LIST.
            return { data: { keys: await request.storage.list(request.path) } };
          },
        },
        helpSynopsis: 'Read, write, list or delete an entry in the calling token\'s cubbyhole.',
        helpDescription: 'Entries hold any JSON object and live until the token is revoked.',
      }),
    ],
  });
}

async function write(request: Request, data: Record<string, unknown>): Promise<null> {
  const key = requireKey(request);
  if (Object.keys(data).length === 0) throw badRequest('missing data fields');
  await request.storage.put({ key, value: Buffer.from(stringifyJson(data) as string) });
  return null;
}

