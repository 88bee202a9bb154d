/** `items/:name` (create, update, read, delete) and `items/` (list). */
import { badRequest, definePath, nameSegment, notFound, type FieldData, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import { deleteItem, listItems, readItem, writeItem } from './items.js';

const ITEM_FIELDS = {
  name: { type: 'string', description: 'Name of the item.', required: true },
  // Not marked required, because the framework would then demand it on reads and deletes too.
  value: { type: 'string', description: 'The secret value to store. Required on writes.' },
  rotate_period: { type: 'duration', description: 'How often the owner wants the value rotated, in seconds or as a duration such as "720h". 0 for never.' },
} as const;

/** Stores the item of a create or update. */
async function storeItem(request: Request, fields: FieldData<typeof ITEM_FIELDS>): Promise<null> {
  if (!fields.has('value')) throw badRequest('missing required field "value" in a write to an item');
  await writeItem(request.storage, fields.get('name'), { value: fields.get('value'), rotatePeriod: fields.get('rotate_period') });
  return null;
}

const itemPath = definePath({
  pattern: `items/${nameSegment('name')}`,
  fields: ITEM_FIELDS,
  // Tells create from update, so a policy can grant one without the other.
  existenceCheck: async (request, fields) => (await readItem(request.storage, fields.get('name'))) !== null,
  operations: {
    create: storeItem,
    update: storeItem,
    async read(request, fields) {
      const item = await readItem(request.storage, fields.get('name'));
      if (item === null) throw notFound(`item "${fields.get('name')}" not found`);
      return { data: { value: item.value, rotate_period: item.rotatePeriod } };
    },
    async delete(request, fields) {
      await deleteItem(request.storage, fields.get('name'));
      return null;
    },
  },
  helpSynopsis: 'Store, read and delete one item.',
  helpDescription: 'Writes store "value" under the name; reads return it with its rotate period.',
});

const listPath = definePath({
  pattern: 'items/?',
  fields: {},
  operations: {
    async list(request) {
      const keys = await listItems(request.storage);
      // For an empty list the backend returns no response, and Coffer then returns 404 as Vault does.
      return keys.length === 0 ? null : { data: { keys } };
    },
  },
  helpSynopsis: 'List the items.',
  helpDescription: 'Returns the names of the stored items, sorted.',
});

export const itemPaths: PathDefinition<FieldMap>[] = [itemPath, listPath];
