/**
 * identity/entity-alias: create, read, update, delete and list the aliases
 * that tie auth mount identities to entities, as in Vault's entity alias API.
 * An entity has at most one alias per mount.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, definePath, internalError, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { aliasKeyInfo, describeEntityAlias, listResponse } from './describe.js';
import type { IdentityIndex } from './indexes.js';
import { byId, generateName, sameMap, timestamp, validateCustomMetadata, validateName, type Entity, type EntityAlias } from './model.js';
import type { IdentityStore, WritePlan } from './store.js';

const aliasFields = {
  id: { type: 'string', description: 'ID of the alias; when set, the alias with this ID is updated.' },
  canonical_id: { type: 'string', description: 'ID of the entity the alias belongs to; a new entity is created when a new alias has none.' },
  entity_id: { type: 'string', description: 'Deprecated alias of "canonical_id".' },
  mount_accessor: { type: 'string', description: 'Accessor of the auth mount the alias belongs to.' },
  name: { type: 'string', description: 'Name of the identity in the auth mount, such as the user name.' },
  custom_metadata: { type: 'kv_pairs', description: 'Metadata of the alias that logins leave alone.' },
} as const;

/** The fields of an alias write; empty strings are unset. */
interface AliasInput {
  id: string;
  canonicalId: string;
  mountAccessor: string;
  name: string;
  customMetadata?: Record<string, string>;
}

type AliasResult = { id: string; canonical_id: string } | null;

/** Plans a create or update the way Vault's entity-alias endpoints decide between them. */
function planAliasWrite(store: IdentityStore, input: AliasInput): WritePlan<AliasResult> {
  const index = store.records;
  if (input.id !== '') {
    const alias = index.entityAlias(input.id);
    if (alias === undefined) throw badRequest(`invalid alias ID provided: no entity alias has the ID "${input.id}"`);
    if (input.mountAccessor === '' && input.name === '' && input.canonicalId === '' && input.customMetadata === undefined) {
      return { changes: {}, result: null };
    }
    return planAliasUpdate(store, alias, {
      ...input,
      mountAccessor: input.mountAccessor !== '' ? input.mountAccessor : alias.mountAccessor,
      name: input.name !== '' ? input.name : alias.name,
    });
  }

  if (input.mountAccessor === '' || input.name === '') {
    throw badRequest(`'id' or 'mount_accessor' and 'name' must be provided`);
  }
  if (store.mount(input.mountAccessor) === undefined) {
    throw badRequest(`invalid mount accessor "${input.mountAccessor}": read the accessors of auth mounts at sys/auth`);
  }
  const existing = index.entityAliasByFactors(input.mountAccessor, input.name);
  if (existing !== undefined) return planAliasUpdate(store, existing, input);
  return planAliasCreate(index, input);
}

function planAliasCreate(index: IdentityIndex, input: AliasInput): WritePlan<AliasResult> {
  validateName('name', input.name);
  const customMetadata = input.customMetadata ?? {};
  validateCustomMetadata(customMetadata);
  const now = timestamp();

  let entity: Entity;
  if (input.canonicalId !== '') {
    const found = index.entity(input.canonicalId);
    if (found === undefined) throw badRequest(`invalid canonical ID: no entity has the ID "${input.canonicalId}"`);
    entity = found;
  } else {
    entity = {
      id: randomUUID(),
      name: generateName('entity', (candidate) => index.entityByName(candidate) !== undefined),
      policies: [],
      metadata: {},
      disabled: false,
      aliases: [],
      mergedEntityIds: [],
      creationTime: now,
      lastUpdateTime: now,
    };
  }
  const clash = entity.aliases.find((alias) => alias.mountAccessor === input.mountAccessor);
  if (clash !== undefined) {
    throw badRequest(`Alias already exists for requested entity and mount accessor: alias "${clash.id}" of entity "${entity.id}" is on "${input.mountAccessor}"`);
  }

  const alias: EntityAlias = {
    id: randomUUID(),
    canonicalId: entity.id,
    mountAccessor: input.mountAccessor,
    name: input.name,
    metadata: {},
    customMetadata,
    mergedFromCanonicalIds: [],
    creationTime: now,
    lastUpdateTime: now,
  };
  const updated: Entity = { ...entity, aliases: [...entity.aliases, alias] };
  return { changes: { putEntities: [updated] }, result: { id: alias.id, canonical_id: entity.id } };
}

/** Plans a change of an alias's name, mount, custom metadata or entity. */
function planAliasUpdate(store: IdentityStore, alias: EntityAlias, input: AliasInput): WritePlan<AliasResult> {
  const index = store.records;
  const customMetadata = input.customMetadata ?? alias.customMetadata;
  validateCustomMetadata(customMetadata);
  const moving = input.canonicalId !== '' && input.canonicalId !== alias.canonicalId;
  if (input.name === alias.name && input.mountAccessor === alias.mountAccessor && !moving && sameMap(customMetadata, alias.customMetadata)) {
    return { changes: {}, result: null };
  }
  const current = index.entity(alias.canonicalId);
  if (current === undefined) throw internalError(`entity alias "${alias.id}" has no entity`);

  if (input.name !== alias.name || input.mountAccessor !== alias.mountAccessor) {
    validateName('name', input.name);
    if (store.mount(input.mountAccessor) === undefined) {
      throw badRequest(`invalid mount accessor "${input.mountAccessor}": read the accessors of auth mounts at sys/auth`);
    }
    const existing = index.entityAliasByFactors(input.mountAccessor, input.name);
    if (existing !== undefined && existing.id !== alias.id) {
      throw badRequest(`alias with combination of mount accessor and name already exists: alias "${existing.id}"`);
    }
  }
  if (!moving && input.mountAccessor !== alias.mountAccessor && current.aliases.some((other) => other.mountAccessor === input.mountAccessor)) {
    throw badRequest(`Alias cannot be updated as the entity already has an alias for the given 'mount_accessor' "${input.mountAccessor}"`);
  }

  const updated: EntityAlias = { ...alias, name: input.name, mountAccessor: input.mountAccessor, customMetadata, lastUpdateTime: timestamp() };
  if (!moving) {
    const entity = { ...current, aliases: current.aliases.map((other) => (other.id === alias.id ? updated : other)) };
    return { changes: { putEntities: [entity] }, result: { id: alias.id, canonical_id: current.id } };
  }

  const target = index.entity(input.canonicalId);
  if (target === undefined) throw badRequest(`given 'canonical_id' is not associated with an entity: no entity has the ID "${input.canonicalId}"`);
  if (target.aliases.some((other) => other.mountAccessor === input.mountAccessor)) {
    throw badRequest(`Alias cannot be updated as the given entity already has an alias for this mount: "${input.mountAccessor}"`);
  }
  const moved = { ...updated, canonicalId: target.id };
  return {
    changes: {
      putEntities: [
        { ...target, aliases: [...target.aliases, moved] },
        { ...current, aliases: current.aliases.filter((other) => other.id !== alias.id) },
      ],
    },
    result: { id: alias.id, canonical_id: target.id },
  };
}

type AliasFieldData = Parameters<NonNullable<PathDefinition<typeof aliasFields>['existenceCheck']>>[1];

async function writeAlias(store: IdentityStore, fields: AliasFieldData): Promise<{ data: Record<string, unknown> } | null> {
  const input: AliasInput = {
    id: fields.get('id'),
    canonicalId: fields.get('canonical_id') !== '' ? fields.get('canonical_id') : fields.get('entity_id'),
    mountAccessor: fields.get('mount_accessor'),
    name: fields.get('name'),
    ...(fields.has('custom_metadata') ? { customMetadata: fields.get('custom_metadata') } : {}),
  };
  const result = await store.write(() => planAliasWrite(store, input));
  if (result === null) return null;
  store.logger.info({ aliasId: result.id, entityId: result.canonical_id }, 'entity alias written');
  return { data: result };
}

export function entityAliasPaths(store: IdentityStore): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'entity-alias',
      fields: aliasFields,
      operations: { update: async (_request, fields) => writeAlias(store, fields) },
      helpSynopsis: 'Create or update an entity alias.',
      helpDescription: 'Creates an alias, or updates the one named by "id" or by "mount_accessor" and "name".',
    }),
    definePath({
      pattern: 'entity-alias/id/?',
      fields: {},
      operations: {
        async list() {
          const aliases = byId(store.records.entityAliases());
          const keyInfo: Record<string, unknown> = {};
          for (const alias of aliases) keyInfo[alias.id] = aliasKeyInfo(store, alias);
          return listResponse(
            aliases.map((alias) => alias.id),
            keyInfo,
          );
        },
      },
      helpSynopsis: 'List entity alias IDs.',
      helpDescription: 'Returns the IDs of all entity aliases, with their names, entities and mounts under "key_info".',
    }),
    definePath({
      pattern: `entity-alias/id/${nameSegment('id')}`,
      fields: aliasFields,
      operations: {
        async read(_request, fields) {
          const alias = store.records.entityAlias(fields.get('id'));
          return alias === undefined ? null : { data: describeEntityAlias(store, alias) };
        },
        update: async (_request, fields) => writeAlias(store, fields),
        async delete(_request, fields) {
          const id = fields.get('id');
          const deleted = await store.write(() => {
            const alias = store.records.entityAlias(id);
            const entity = alias === undefined ? undefined : store.records.entity(alias.canonicalId);
            if (entity === undefined) return { changes: {}, result: false };
            const updated = { ...entity, aliases: entity.aliases.filter((other) => other.id !== id) };
            return { changes: { putEntities: [updated] }, result: true };
          });
          if (deleted) store.logger.info({ aliasId: id }, 'entity alias deleted');
          return null;
        },
      },
      helpSynopsis: 'Read, update or delete an entity alias by ID.',
      helpDescription: 'Deleting an alias leaves its entity in place.',
    }),
  ];
}
