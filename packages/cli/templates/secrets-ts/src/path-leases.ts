/**
 * `lease/:name`: a read issues a leased copy of an item. Coffer tracks the
 * lease and calls the `copy` type's renew and revoke handlers.
 */
import { defineSecret, definePath, nameSegment, notFound, secretResponse, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { readItem } from './items.js';

/** Lease TTL of a copy, in seconds. */
export const COPY_TTL = 3600;

/** Maximum lifetime of a copy, renewals included, in seconds. */
export const COPY_MAX_TTL = 24 * 3600;

export const copySecret = defineSecret({
  type: 'copy',
  fields: { value: { type: 'string', description: 'The copied value.' } },
  defaultTtl: COPY_TTL,
  maxTtl: COPY_MAX_TTL,
  async renew(request) {
    const name = request.secret?.internalData.name;
    if (typeof name !== 'string' || (await readItem(request.storage, name)) === null) throw notFound('the item of this lease no longer exists');
    return null;
  },
  async revoke() {
    // A copy lives only in the client's hands, so there is nothing to delete.
    return null;
  },
});

const leasePath = definePath({
  pattern: `lease/${nameSegment('name')}`,
  fields: { name: { type: 'string', description: 'Name of the item to copy.', required: true } },
  operations: {
    async read(request, fields) {
      const name = fields.get('name');
      const item = await readItem(request.storage, name);
      if (item === null) throw notFound(`item "${name}" not found`);
      return secretResponse(copySecret, { value: item.value }, { name });
    },
  },
  helpSynopsis: 'Issue a leased copy of an item.',
  helpDescription: `Returns the item's value under a lease of ${COPY_TTL} seconds, renewable up to ${COPY_MAX_TTL} seconds.`,
});

export const leasePaths: PathDefinition<FieldMap>[] = [leasePath];
