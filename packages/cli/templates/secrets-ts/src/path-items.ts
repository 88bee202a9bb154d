/** `items/:name` (create, update, read, delete) and `items/` (list). */
import { definePath, nameSegment, notFound, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { deleteItem, listItems, readItem, writeItem } from './items.js';

const itemPath = definePath({
  pattern: `items/${nameSegment('name')}`,
  fields: {
    name: { type: 'string', description: 'Name of the item.', required: true },
    value: { type: 'string', description: 'The secret value to store.', required: true },
    rotate_period: { type: 'duration', description: 'How often the owner wants the value rotated, in seconds or as a duration such as "720h". 0 for never.' },
  },
  // Tells create from update, so a policy can grant one without the other.
  existenceCheck: async (request, fields) => (await readItem(request.storage, fields.get('name'))) !== null,
  operations: {
    async create(request, fields) {
      await writeItem(request.storage, fields.get('name'), { value: fields.get('value'), rotatePeriod: fields.get('rotate_period') });
      return null;
    },
    async update(request, fields) {
      await writeItem(request.storage, fields.get('name'), { value: fields.get('value'), rotatePeriod: fields.get('rotate_period') });
      return null;
    },
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
      // An empty list has no response, which Coffer answers with 404 as Vault does.
      return keys.length === 0 ? null : { data: { keys } };
    },
  },
  helpSynopsis: 'List the items.',
  helpDescription: 'Returns the names of the stored items, sorted.',
});

export const itemPaths: PathDefinition<FieldMap>[] = [itemPath, listPath];
