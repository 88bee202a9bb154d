/**
 * Identity records in the shapes of Vault's read, lookup and list
 * responses. Empty optional maps and lists are `null` where Vault's are.
 */
import type { IdentityIndex } from './indexes.js';
import type { Entity, EntityAlias, Group, GroupAlias } from './model.js';
import { groupMembership } from './resolve.js';
import type { IdentityStore } from './store.js';

/** Vault reports the root namespace; Coffer has no other. */
const NAMESPACE_ID = 'root';

function mapOrNull(map: Record<string, string>): Record<string, string> | null {
  return Object.keys(map).length > 0 ? { ...map } : null;
}

function listOrNull(list: readonly string[]): string[] | null {
  return list.length > 0 ? [...list] : null;
}

/** `mount_path` and `mount_type` of an accessor, left out when no mount has it. */
function mountFields(store: IdentityStore, accessor: string): Record<string, string> {
  const mount = store.mount(accessor);
  return mount === undefined ? {} : { mount_path: mount.path, mount_type: mount.type };
}

function describeAliasCommon(store: IdentityStore, alias: EntityAlias): Record<string, unknown> {
  return {
    id: alias.id,
    canonical_id: alias.canonicalId,
    mount_accessor: alias.mountAccessor,
    metadata: mapOrNull(alias.metadata),
    custom_metadata: { ...alias.customMetadata },
    name: alias.name,
    merged_from_canonical_ids: listOrNull(alias.mergedFromCanonicalIds),
    creation_time: alias.creationTime,
    last_update_time: alias.lastUpdateTime,
    local: false,
    ...mountFields(store, alias.mountAccessor),
  };
}

/** An entity as `identity/entity/id/:id` and `identity/lookup/entity` return it. */
export function describeEntity(store: IdentityStore, entity: Entity): Record<string, unknown> {
  const { direct, inherited } = groupMembership(store.records, entity.id);
  const directIds = direct.map((group) => group.id);
  const inheritedIds = inherited.map((group) => group.id);
  return {
    aliases: entity.aliases.map((alias) => describeAliasCommon(store, alias)),
    creation_time: entity.creationTime,
    direct_group_ids: directIds,
    disabled: entity.disabled,
    group_ids: [...directIds, ...inheritedIds],
    id: entity.id,
    inherited_group_ids: inheritedIds,
    last_update_time: entity.lastUpdateTime,
    merged_entity_ids: listOrNull(entity.mergedEntityIds),
    metadata: mapOrNull(entity.metadata),
    name: entity.name,
    namespace_id: NAMESPACE_ID,
    policies: [...entity.policies],
  };
}

/** An entity alias as `identity/entity-alias/id/:id` returns it. */
export function describeEntityAlias(store: IdentityStore, alias: EntityAlias): Record<string, unknown> {
  return { ...describeAliasCommon(store, alias), namespace_id: NAMESPACE_ID };
}

/** A group alias as `identity/group-alias/id/:id` returns it. */
export function describeGroupAlias(store: IdentityStore, alias: GroupAlias): Record<string, unknown> {
  return {
    id: alias.id,
    canonical_id: alias.canonicalId,
    mount_accessor: alias.mountAccessor,
    metadata: null,
    custom_metadata: null,
    name: alias.name,
    merged_from_canonical_ids: null,
    namespace_id: NAMESPACE_ID,
    local: false,
    creation_time: alias.creationTime,
    last_update_time: alias.lastUpdateTime,
    ...mountFields(store, alias.mountAccessor),
  };
}

/** Member group IDs that still name a group. */
export function existingMemberGroupIds(index: IdentityIndex, group: Group): string[] {
  return group.memberGroupIds.filter((id) => index.group(id) !== undefined);
}

/** A group as `identity/group/id/:id` and `identity/lookup/group` return it. */
export function describeGroup(store: IdentityStore, group: Group): Record<string, unknown> {
  const index = store.records;
  const alias: Record<string, unknown> =
    group.alias === null
      ? {}
      : {
          id: group.alias.id,
          canonical_id: group.alias.canonicalId,
          mount_accessor: group.alias.mountAccessor,
          metadata: null,
          name: group.alias.name,
          merged_from_canonical_ids: null,
          creation_time: group.alias.creationTime,
          last_update_time: group.alias.lastUpdateTime,
          ...mountFields(store, group.alias.mountAccessor),
        };
  return {
    alias,
    creation_time: group.creationTime,
    id: group.id,
    last_update_time: group.lastUpdateTime,
    member_entity_ids: [...group.memberEntityIds],
    member_group_ids: listOrNull(existingMemberGroupIds(index, group)),
    metadata: mapOrNull(group.metadata),
    modify_index: group.modifyIndex,
    name: group.name,
    namespace_id: NAMESPACE_ID,
    parent_group_ids: listOrNull(index.parentGroups(group.id).map((parent) => parent.id).sort()),
    policies: listOrNull(group.policies),
    type: group.type,
  };
}

/** Returns the `key_info` entry of an entity alias or group alias in a list response. */
export function aliasKeyInfo(store: IdentityStore, alias: EntityAlias | GroupAlias): Record<string, unknown> {
  const isEntityAlias = 'customMetadata' in alias;
  return {
    name: alias.name,
    canonical_id: alias.canonicalId,
    mount_accessor: alias.mountAccessor,
    custom_metadata: isEntityAlias ? { ...alias.customMetadata } : null,
    metadata: isEntityAlias ? mapOrNull(alias.metadata) : null,
    local: false,
    ...mountFields(store, alias.mountAccessor),
  };
}

/** Returns the `key_info` entry of an entity in a list response. */
export function entityKeyInfo(store: IdentityStore, entity: Entity): Record<string, unknown> {
  const info: Record<string, unknown> = { name: entity.name };
  if (entity.aliases.length > 0) {
    info.aliases = entity.aliases.map((alias) => ({
      id: alias.id,
      name: alias.name,
      mount_accessor: alias.mountAccessor,
      ...mountFields(store, alias.mountAccessor),
    }));
  }
  return info;
}

/** Returns the `key_info` entry of a group in a list response. */
export function groupKeyInfo(store: IdentityStore, group: Group): Record<string, unknown> {
  const info: Record<string, unknown> = {
    name: group.name,
    num_member_entities: group.memberEntityIds.length,
    num_parent_groups: store.records.parentGroups(group.id).length,
  };
  if (group.alias !== null) {
    info.alias = {
      id: group.alias.id,
      name: group.alias.name,
      mount_accessor: group.alias.mountAccessor,
      ...mountFields(store, group.alias.mountAccessor),
    };
  }
  return info;
}

/** Builds a list response, or returns `null` (404) when nothing is listed, as Vault does for an empty list. */
export function listResponse(keys: string[], keyInfo: Record<string, unknown>): { data: Record<string, unknown> } | null {
  return keys.length === 0 ? null : { data: { keys, key_info: keyInfo } };
}
