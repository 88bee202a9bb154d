/**
 * The `share/:name` and `shared/:code` paths and the `share` secret type.
 *
 * Reading `share/:name` issues a share code for a note: a leased secret
 * that lets any holder of the code read the note at `shared/:code`. Coffer
 * tracks the lease. When the lease expires or is revoked, Coffer calls the
 * type's revoke handler, which deletes the code, so it stops working.
 */
import { randomBytes } from 'node:crypto';
import {
  defineSecret,
  definePath,
  internalError,
  nameSegment,
  notFound,
  secretResponse,
  type FieldMap,
  type PathDefinition,
  type Request,
} from '@coffer/sdk';
import { deleteShare, getNote, getShare, putShare } from './notes-store.js';

/** Lease TTL of a share code when the request sets none, in seconds. */
export const SHARE_DEFAULT_TTL = 3600;

/** Maximum lifetime of a share code, renewals included, in seconds. */
export const SHARE_MAX_TTL = 24 * 3600;

/** Reads the share code of a lease from the internal data stored with it at issue. */
function codeOf(request: Request): string {
  const code = request.secret?.internalData.code;
  if (typeof code !== 'string') throw internalError(`lease "${request.secret?.leaseId}" has no share code in its internal data`);
  return code;
}

/** The `share` secret type: renewing keeps a code alive, revoking deletes it. */
export const shareSecret = defineSecret({
  type: 'share',
  fields: {
    code: { type: 'string', description: 'The share code, as returned to the client.' },
    note: { type: 'string', description: 'The note the code shares.' },
  },
  defaultTtl: SHARE_DEFAULT_TTL,
  maxTtl: SHARE_MAX_TTL,

  async renew(request) {
    const code = codeOf(request);
    if ((await getShare(request.storage, code)) === null) throw notFound(`share code of lease "${request.secret?.leaseId}" no longer exists`);

    // No response keeps the lease's TTL settings. Coffer grants the
    // requested increment, capped at the max TTL.
    return null;
  },

  async revoke(request) {
    await deleteShare(request.storage, codeOf(request));
    return null;
  },
});

const sharePath = definePath({
  pattern: `share/${nameSegment('name')}`,
  fields: {
    name: { type: 'string', description: 'Name of the note to share.', required: true },
    ttl: { type: 'duration', description: `Lease TTL of the code, in seconds or as a duration such as "15m". Defaults to ${SHARE_DEFAULT_TTL} seconds.` },
  },
  operations: {
    async read(request, fields) {
      const name = fields.get('name');
      if ((await getNote(request.storage, name)) === null) throw notFound(`note "${name}" not found`);

      const code = randomBytes(16).toString('hex');
      await putShare(request.storage, code, { note: name });

      const ttl = fields.get('ttl');
      return secretResponse(shareSecret, { code, note: name }, { code }, ttl > 0 ? { ttl } : {});
    },
  },
  helpSynopsis: 'Issue a share code for a note.',
  helpDescription: 'Returns a code, leased for "ttl", that reads the note at shared/<code> until the lease ends.',
});

const sharedPath = definePath({
  pattern: `shared/${nameSegment('code')}`,
  fields: {
    code: { type: 'string', description: 'A share code issued by share/<name>.', required: true },
  },
  operations: {
    async read(request, fields) {
      const share = await getShare(request.storage, fields.get('code'));
      if (share === null) throw notFound('share code not found; it may have expired or been revoked');

      const note = await getNote(request.storage, share.note);
      if (note === null) throw notFound(`shared note "${share.note}" not found; it was deleted`);
      return { data: { note: share.note, text: note.text } };
    },
  },
  helpSynopsis: 'Read a note with a share code.',
  helpDescription: 'Returns the name and text of the note the code was issued for.',
});

/** The share paths, in match order. */
export const sharePaths: PathDefinition<FieldMap>[] = [sharePath, sharedPath];
