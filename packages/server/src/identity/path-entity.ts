/**
 * identity/entity: create, read, update, delete, list, batch-delete and
 * merge entities, by ID or by name, as in Vault's entity API.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { describeEntity, entityKeyInfo, listResponse } from './describe.js';
import type { IdentityIndex } from './indexes.js';
import { planEntityMerge } from './merge.js';
import {
  byId,
  generateName,
  sanitizeIdentityPolicies,
  timestamp,
  validateMetadata,
  validateName,
  type Entity,
  type Group,
} from './model.js';
import type { ChangeSet, IdentityStore, WritePlan } from './store.js';

const entityFields = {
  id: { type: 'string', description: 'ID of the entity; when set, the entity with this ID is updated.' },
  name: { type: 'string', description: 'Name of the entity; "entity_<8 hex digits>" when a new entity has none.' },
  metadata: { type: 'kv_pairs', description: 'Metadata of the entity: an object of strings or a list of "key=value".' },
  policies: { type: 'comma_string_slice', description: 'Policies that the tokens of the entity get.' },
  disabled: { type: 'bool', description: 'Deny the tokens of the entity, without revoking them.' },
} as const;

/** The settable fields of a create or update; unset fields keep their value. */
interface EntityInput {
  id: string;
  name: string;
  policies?: string[];
  metadata?: Record<string, string>;
  disabled?: boolean;
}

/**
 * Plans a create or update as Vault's entity endpoints do. An ID names the
 * entity to update. Without an ID, a name that exists names it, and any
 * other request creates a new entity.
 */
function planEntityUpsert(index: IdentityIndex, input: EntityInput): WritePlan<{ entity: Entity; created: boolean }> {
  let existing: Entity | undefined;
  if (input.id !== '') {
    existing = index.entity(input.id);
    if (existing === undefined) throw badRequest(`entity not found from id "${input.id}": list entity IDs at identity/entity/id`);
  }
  if (input.name !== '') {
    validateName('name', input.name);
    const byName = index.entityByName(input.name);
    if (byName !== undefined && existing === undefined) existing = byName;
    else if (byName !== undefined && byName.id !== existing!.id) {
      throw badRequest(`entity name is already in use: "${input.name}" names entity "${byName.id}"; choose another name`);
    }
  }
  const policies = input.policies !== undefined ? sanitizeIdentityPolicies(input.policies) : (existing?.policies ?? []);
  const metadata = input.metadata ?? existing?.metadata ?? {};
  validateMetadata('metadata', metadata);

  const now = timestamp();
  const entity: Entity =
    existing === undefined
      ? {
          id: randomUUID(),
          name: input.name !== '' ? input.name : generateName('entity', (candidate) => index.entityByName(candidate) !== undefined),
          policies,
          metadata,
          disabled: input.disabled ?? false,
          aliases: [],
          mergedEntityIds: [],
          creationTime: now,
          lastUpdateTime: now,
        }
      : {
          ...existing,
          name: input.name !== '' ? input.name : existing.name,
          policies,
          metadata,
          disabled: input.disabled ?? existing.disabled,
          lastUpdateTime: now,
        };
  return { changes: { putEntities: [entity] }, result: { entity, created: existing === undefined } };
}

/** Plans the deletion of entities with their aliases, and their removal from every group. */
export function planEntityDeletion(index: IdentityIndex, entityIds: readonly string[]): ChangeSet {
  const deleted = new Set(entityIds.filter((id) => index.entity(id) !== undefined));
  const groups = new Map<string, Group>();
  const now = timestamp();
  for (const id of deleted) {
    for (const group of index.groupsWithMemberEntity(id)) {
      if (groups.has(group.id)) continue;
      const memberEntityIds = group.memberEntityIds.filter((member) => !deleted.has(member));
      groups.set(group.id, { ...group, memberEntityIds, modifyIndex: group.modifyIndex + 1, lastUpdateTime: now });
    }
  }
  return { putGroups: [...groups.values()], deleteEntityIds: [...deleted] };
}

type EntityFieldData = Parameters<NonNullable<PathDefinition<typeof entityFields>['existenceCheck']>>[1];

function entityInput(fields: EntityFieldData, overrides: { id?: string; name?: string }): EntityInput {
  return {
    id: overrides.id ?? fields.get('id'),
    name: overrides.name ?? fields.get('name'),
    ...(fields.has('policies') ? { policies: fields.get('policies') } : {}),
    ...(fields.has('metadata') ? { metadata: fields.get('metadata') } : {}),
    ...(fields.has('disabled') ? { disabled: fields.get('disabled') } : {}),
  };
}

/** Writes an entity. As in Vault, a create returns the new entity's ID and name, and an update returns 204 No Content. */
async function upsert(store: IdentityStore, input: EntityInput): Promise<{ data: Record<string, unknown> } | null> {
  const { entity, created } = await store.write(() => planEntityUpsert(store.records, input));
  if (!created) return null;
  store.logger.info({ entityId: entity.id }, 'entity created');
  return { data: { id: entity.id, name: entity.name, aliases: null } };
}

async function deleteEntities(store: IdentityStore, entityIds: readonly string[]): Promise<null> {
  const deleted = await store.write(() => {
    const changes = planEntityDeletion(store.records, entityIds);
    return { changes, result: changes.deleteEntityIds ?? [] };
  });
  if (deleted.length > 0) store.logger.info({ entityIds: deleted }, 'entities deleted');
  return null;
}

function listEntities(store: IdentityStore, key: 'id' | 'name'): { data: Record<string, unknown> } | null {
  const entities = byId(store.records.entities.values());
  const keyInfo: Record<string, unknown> = {};
  for (const entity of entities) keyInfo[entity.id] = entityKeyInfo(store, entity);
  return listResponse(
    entities.map((entity) => entity[key]),
    keyInfo,
  );
}

export function entityPaths(store: IdentityStore): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'entity',
      fields: entityFields,
      operations: {
        update: async (_request, fields) => upsert(store, entityInput(fields, {})),
      },
      helpSynopsis: 'Create or update an entity.',
      helpDescription: 'Creates an entity, or updates the one named by "id" or by an existing "name".',
    }),
    definePath({
      pattern: 'entity/id/?',
      fields: {},
      operations: { list: async () => listEntities(store, 'id') },
      helpSynopsis: 'List entity IDs.',
      helpDescription: 'Returns the IDs of all entities, with their names and aliases under "key_info".',
    }),
    definePath({
      pattern: `entity/id/${nameSegment('id')}`,
      fields: entityFields,
      operations: {
        async read(_request, fields) {
          const entity = store.records.entity(fields.get('id'));
          return entity === undefined ? null : { data: describeEntity(store, entity) };
        },
        update: async (_request, fields) => upsert(store, entityInput(fields, { id: fields.get('id') })),
        delete: async (_request, fields) => deleteEntities(store, [fields.get('id')]),
      },
      helpSynopsis: 'Read, update or delete an entity by ID.',
      helpDescription: 'Deleting an entity deletes its aliases and removes it from every group.',
    }),
    definePath({
      pattern: 'entity/name/?',
      fields: {},
      operations: { list: async () => listEntities(store, 'name') },
      helpSynopsis: 'List entity names.',
      helpDescription: 'Returns the names of all entities; "key_info" is keyed by entity ID, as in Vault.',
    }),
    definePath({
      pattern: 'entity/name/(?<name>.+)',
      fields: entityFields,
      operations: {
        async read(_request, fields) {
          const entity = store.records.entityByName(fields.get('name'));
          return entity === undefined ? null : { data: describeEntity(store, entity) };
        },
        update: async (_request, fields) => upsert(store, entityInput(fields, { id: '', name: fields.get('name') })),
        async delete(_request, fields) {
          const entity = store.records.entityByName(fields.get('name'));
          return entity === undefined ? null : deleteEntities(store, [entity.id]);
        },
      },
      helpSynopsis: 'Create, read, update or delete an entity by name.',
      helpDescription: 'A write creates the entity when no entity has the name, and updates it otherwise.',
    }),
    ...entityBulkPaths(store),
  ];
}

/** Declares entity/batch-delete and entity/merge, which act on several entities. */
function entityBulkPaths(store: IdentityStore): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'entity/batch-delete',
      fields: { entity_ids: { type: 'comma_string_slice', description: 'IDs of the entities to delete.' } },
      operations: {
        async update(_request, fields) {
          const ids = fields.get('entity_ids');
          if (ids.length === 0) throw badRequest('missing entity ids to delete: set "entity_ids" to a list of entity IDs');
          return deleteEntities(store, ids);
        },
      },
      helpSynopsis: 'Delete several entities.',
      helpDescription: 'Deletes every listed entity with its aliases; IDs that name no entity are skipped.',
    }),
    definePath({
      pattern: 'entity/merge/?',
      fields: {
        from_entity_ids: { type: 'comma_string_slice', description: 'IDs of the entities to merge into "to_entity_id".' },
        to_entity_id: { type: 'string', description: 'ID of the entity that absorbs the others.' },
        conflicting_alias_ids_to_keep: { type: 'comma_string_slice', description: 'Alias IDs to keep where two entities have an alias on the same mount.' },
        force: { type: 'bool', description: 'Accepted for compatibility; Coffer entities hold no MFA secrets to reconcile.' },
      },
      operations: {
        async update(_request, fields) {
          const toId = fields.get('to_entity_id');
          const fromIds = fields.get('from_entity_ids');
          await store.write(() => planEntityMerge(store.records, toId, fromIds, fields.get('conflicting_alias_ids_to_keep')));
          store.logger.info({ toEntityId: toId, fromEntityIds: fromIds }, 'entities merged');
          return null;
        },
      },
      helpSynopsis: 'Merge entities into one.',
      helpDescription: 'Moves the aliases and group memberships of "from_entity_ids" to "to_entity_id" and deletes the merged entities.',
    }),
  ];
}
