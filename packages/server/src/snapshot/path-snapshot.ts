/**
 * sys/storage/snapshot and sys/storage/snapshot-force: Coffer's storage
 * snapshots for every backend, shaped after Vault's Raft-only
 * sys/storage/raft/snapshot endpoints.
 *
 * - GET sys/storage/snapshot returns the snapshot file as
 *   `application/octet-stream`.
 * - POST sys/storage/snapshot restores a snapshot of this same cluster.
 * - POST sys/storage/snapshot-force restores a snapshot of any cluster.
 *
 * All three need sudo, as Vault's do. A restore body is JSON,
 * `{"snapshot": "<base64 of the file>"}`, because the HTTP layer parses every
 * request body as JSON; the server's request size limit (32 MiB) therefore
 * caps a restored snapshot at about 24 MiB.
 */
import { badRequest, definePath, permissionDenied, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import type { Core } from '../core.js';
import { restoreIntoServer, takeSnapshot } from './snapshot.js';

const restoreFields = {
  snapshot: { type: 'string', description: 'The snapshot file, base64-encoded; required to restore.' },
} as const;

/** Base64 as Node's `Buffer` writes it, with optional padding. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function snapshotPaths(core: Core): PathDefinition<FieldMap>[] {
  const physical = core.options.physical;
  return [
    definePath({
      pattern: 'storage/snapshot',
      fields: restoreFields,
      operations: {
        async read(request) {
          requireSudo(core, request);
          const body = await takeSnapshot(physical, { clusterId: core.clusterId, storageType: core.options.storageType });
          core.logger.info({ bytes: body.length }, 'storage snapshot taken');
          return { raw: { status: 200, contentType: 'application/octet-stream', body } };
        },
        async update(request, fields) {
          requireSudo(core, request);
          await restoreIntoServer(core, physical, decodeBody(fields.get('snapshot')), false);
          return null;
        },
      },
      helpSynopsis: 'Take or restore a snapshot of the storage.',
      helpDescription:
        'GET returns every stored entry, still encrypted, with the seal configuration, as one file. ' +
        'POST restores a snapshot of this cluster and leaves the server sealed.',
    }),
    definePath({
      pattern: 'storage/snapshot-force',
      fields: restoreFields,
      operations: {
        async update(request, fields) {
          requireSudo(core, request);
          await restoreIntoServer(core, physical, decodeBody(fields.get('snapshot')), true);
          return null;
        },
      },
      helpSynopsis: 'Restore a snapshot of any cluster.',
      helpDescription:
        'Replaces the whole storage with the snapshot even when it was taken on another cluster. ' +
        'The server is left sealed and unseals with the key shares of the snapshot.',
    }),
  ];
}

/** Rejects a caller without sudo. The paths are not in the core's sudo list, so the check is made here, from the caller that the pipeline registered. */
function requireSudo(core: Core, request: Request): void {
  if (core.callers.get(request.id)?.hasSudo !== true) throw permissionDenied();
}

function decodeBody(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact === '') throw badRequest('missing required field "snapshot": send the snapshot file base64-encoded');
  if (!BASE64.test(compact)) throw badRequest('invalid "snapshot": it is not base64; send the snapshot file base64-encoded');
  return Buffer.from(compact, 'base64');
}

