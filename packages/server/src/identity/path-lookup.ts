/**
 * identity/lookup/entity and identity/lookup/group: find one entity or group
 * by ID, by name, by alias ID, or by alias name and mount accessor, as in
 * Vault's lookup API. Exactly one criterion is allowed, and a miss returns
 * 204 No Content.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { describeEntity, describeGroup } from './describe.js';
import type { IdentityIndex } from './indexes.js';
import type { Entity, Group } from './model.js';
import type { IdentityStore } from './store.js';

const lookupFields = {
  id: { type: 'string', description: 'ID of the entity or group.' },
  name: { type: 'string', description: 'Name of the entity or group.' },
  alias_id: { type: 'string', description: 'ID of one of its aliases.' },
  alias_name: { type: 'string', description: 'Name of one of its aliases; give "alias_mount_accessor" too.' },
  alias_mount_accessor: { type: 'string', description: 'Accessor of the mount of the alias named by "alias_name".' },
} as const;

type LookupFieldData = Parameters<NonNullable<PathDefinition<typeof lookupFields>['existenceCheck']>>[1];

type Criterion =
  | { by: 'id' | 'name' | 'alias_id'; value: string }
  | { by: 'alias'; name: string; mountAccessor: string };

/**
 * Reads the one criterion of a lookup.
 * @throws CofferError (400) for none, several, or half of an alias name and accessor.
 */
function lookupCriterion(fields: LookupFieldData): Criterion {
  const setFields = (['id', 'name', 'alias_id', 'alias_name', 'alias_mount_accessor'] as const).filter((name) => fields.get(name) !== '');
  if (setFields.length === 0) throw badRequest('query parameter not supplied: set one of "id", "name", "alias_id", or "alias_name" with "alias_mount_accessor"');

  const aliasPair = setFields.includes('alias_name') && setFields.includes('alias_mount_accessor');
  if (setFields.length === 2 && aliasPair) {
    return { by: 'alias', name: fields.get('alias_name'), mountAccessor: fields.get('alias_mount_accessor') };
  }
  if (setFields.length > 1) throw badRequest(`query parameter conflict; please supply distinct set of query parameters: got ${setFields.join(', ')}`);
  if (setFields[0] === 'alias_name' || setFields[0] === 'alias_mount_accessor') {
    throw badRequest(`both 'alias_name' and 'alias_mount_accessor' needs to be set`);
  }
  return { by: setFields[0], value: fields.get(setFields[0]) };
}

function findEntity(index: IdentityIndex, criterion: Criterion): Entity | undefined {
  switch (criterion.by) {
    case 'id':
      return index.entity(criterion.value);
    case 'name':
      return index.entityByName(criterion.value);
    case 'alias_id': {
      const alias = index.entityAlias(criterion.value);
      return alias === undefined ? undefined : index.entity(alias.canonicalId);
    }
    case 'alias': {
      const alias = index.entityAliasByFactors(criterion.mountAccessor, criterion.name);
      return alias === undefined ? undefined : index.entity(alias.canonicalId);
    }
  }
}

function findGroup(index: IdentityIndex, criterion: Criterion): Group | undefined {
  switch (criterion.by) {
    case 'id':
      return index.group(criterion.value);
    case 'name':
      return index.groupByName(criterion.value);
    case 'alias_id': {
      const alias = index.groupAlias(criterion.value);
      return alias === undefined ? undefined : index.group(alias.canonicalId);
    }
    case 'alias': {
      const alias = index.groupAliasByFactors(criterion.mountAccessor, criterion.name);
      return alias === undefined ? undefined : index.group(alias.canonicalId);
    }
  }
}

export function lookupPaths(store: IdentityStore): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'lookup/entity',
      fields: lookupFields,
      operations: {
        async update(_request, fields) {
          const entity = findEntity(store.records, lookupCriterion(fields));
          return entity === undefined ? null : { data: describeEntity(store, entity) };
        },
      },
      helpSynopsis: 'Look up an entity.',
      helpDescription: 'Finds an entity by "id", "name", "alias_id", or "alias_name" with "alias_mount_accessor".',
    }),
    definePath({
      pattern: 'lookup/group',
      fields: lookupFields,
      operations: {
        async update(_request, fields) {
          const group = findGroup(store.records, lookupCriterion(fields));
          return group === undefined ? null : { data: describeGroup(store, group) };
        },
      },
      helpSynopsis: 'Look up a group.',
      helpDescription: 'Finds a group by "id", "name", "alias_id", or "alias_name" with "alias_mount_accessor".',
    }),
  ];
}
