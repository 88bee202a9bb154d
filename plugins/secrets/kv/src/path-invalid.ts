/**
 * The KV v2 catch-all: any path that no other KV v2 path matches, such as a
 * KV v1 style `secret/foo`. Like Vault, it returns 404 with a warning that
 * names the `kv` subcommand to use instead.
 */
import { definePath, type Operation, type PathDefinition, type FieldMap, type Request, type Response } from '@coffer/sdk';
import { respondWithStatus } from './respond.js';

const API_ROOTS = new Set(['data', 'metadata', 'delete', 'undelete', 'destroy', 'subkeys']);

const SUBCOMMANDS: Partial<Record<Operation, string>> = {
  create: 'put',
  update: 'put',
  patch: 'patch',
  read: 'get',
  list: 'list',
  delete: 'delete',
};

/** Builds the 404 response to a request on the root of a v2 API path, such as a read of `metadata/`. */
export function respondRootNotSupported(request: Request): Response {
  return respondWithStatus(request, 404, null, ['Non-listing operations on the root of a K/V v2 mount are not supported.']);
}

export function pathInvalid(): PathDefinition<FieldMap> {
  const handler = async (request: Request): Promise<Response> => {
    if (API_ROOTS.has(request.path.replace(/\/$/, ''))) return respondRootNotSupported(request);

    const subcommand = SUBCOMMANDS[request.operation] ?? 'get';
    return respondWithStatus(request, 404, null, [
      'Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. ' +
        `If using the Vault CLI, use 'vault kv ${subcommand}' for this operation.`,
    ]);
  };

  return definePath({
    pattern: '.*',
    fields: {},
    // Accept any body, so every request reaches the handler and its hint.
    takesArbitraryInput: true,
    operations: { read: handler, create: handler, update: handler, patch: handler, delete: handler, list: handler },
    helpSynopsis: 'Paths that a KV version 2 mount does not serve.',
    helpDescription: `
A KV version 2 mount serves config, data/, metadata/, delete/, undelete/,
destroy/ and subkeys/. Any other path returns 404 with a warning that names
the "vault kv" subcommand to use instead.`,
  });
}
