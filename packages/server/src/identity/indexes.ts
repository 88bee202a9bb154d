/**
 * The in-memory copy of the identity store and its lookup indexes. Records
 * are never changed in place: a write replaces a whole entity or group, so
 * a reader holding a record always reads one consistent version of it.
 */
import { factorsKey, nameKey, type Entity, type EntityAlias, type Group, type GroupAlias } from './model.js';

function addToSet(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

function removeFromSet(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

export class IdentityIndex {
  readonly entities = new Map<string, Entity>();
  readonly groups = new Map<string, Group>();
  private readonly entityIdsByName = new Map<string, string>();
  /** Entity IDs merged away, to the ID of the entity that absorbed them. */
  private readonly entityIdsByMergedId = new Map<string, string>();
  private readonly aliasesById = new Map<string, EntityAlias>();
  private readonly aliasIdsByFactors = new Map<string, string>();
  private readonly groupIdsByName = new Map<string, string>();
  private readonly groupIdsByMemberEntity = new Map<string, Set<string>>();
  /** Group IDs to the IDs of the groups that list them in `memberGroupIds`. */
  private readonly parentGroupIds = new Map<string, Set<string>>();
  private readonly groupAliasesById = new Map<string, GroupAlias>();
  private readonly groupAliasIdsByFactors = new Map<string, string>();

  entity(id: string): Entity | undefined {
    return this.entities.get(id);
  }

  /** Returns the entity with `id`, or the entity it was merged into. */
  entityOrMergedInto(id: string): Entity | undefined {
    const entity = this.entities.get(id);
    if (entity !== undefined) return entity;
    const mergedInto = this.entityIdsByMergedId.get(id);
    return mergedInto === undefined ? undefined : this.entities.get(mergedInto);
  }

  entityByName(name: string): Entity | undefined {
    const id = this.entityIdsByName.get(nameKey(name));
    return id === undefined ? undefined : this.entities.get(id);
  }

  entityAlias(id: string): EntityAlias | undefined {
    return this.aliasesById.get(id);
  }

  entityAliasByFactors(mountAccessor: string, name: string): EntityAlias | undefined {
    const id = this.aliasIdsByFactors.get(factorsKey(mountAccessor, name));
    return id === undefined ? undefined : this.aliasesById.get(id);
  }

  entityAliases(): EntityAlias[] {
    return [...this.aliasesById.values()];
  }

  group(id: string): Group | undefined {
    return this.groups.get(id);
  }

  groupByName(name: string): Group | undefined {
    const id = this.groupIdsByName.get(nameKey(name));
    return id === undefined ? undefined : this.groups.get(id);
  }

  groupAlias(id: string): GroupAlias | undefined {
    return this.groupAliasesById.get(id);
  }

  groupAliasByFactors(mountAccessor: string, name: string): GroupAlias | undefined {
    const id = this.groupAliasIdsByFactors.get(factorsKey(mountAccessor, name));
    return id === undefined ? undefined : this.groupAliasesById.get(id);
  }

  groupAliases(): GroupAlias[] {
    return [...this.groupAliasesById.values()];
  }

  /** Returns the groups that list the entity as a member. */
  groupsWithMemberEntity(entityId: string): Group[] {
    return this.groupsByIds(this.groupIdsByMemberEntity.get(entityId));
  }

  /** Returns the groups that list the group as a member. */
  parentGroups(groupId: string): Group[] {
    return this.groupsByIds(this.parentGroupIds.get(groupId));
  }

  addEntity(entity: Entity): void {
    this.entities.set(entity.id, entity);
    this.entityIdsByName.set(nameKey(entity.name), entity.id);
    for (const mergedId of entity.mergedEntityIds) this.entityIdsByMergedId.set(mergedId, entity.id);
    for (const alias of entity.aliases) {
      this.aliasesById.set(alias.id, alias);
      this.aliasIdsByFactors.set(factorsKey(alias.mountAccessor, alias.name), alias.id);
    }
  }

  /** Removes the entity's entries; an entry that now names another record is kept. */
  removeEntity(entity: Entity): void {
    if (this.entities.get(entity.id) === entity) this.entities.delete(entity.id);
    deleteIfPointsTo(this.entityIdsByName, nameKey(entity.name), entity.id);
    for (const mergedId of entity.mergedEntityIds) deleteIfPointsTo(this.entityIdsByMergedId, mergedId, entity.id);
    for (const alias of entity.aliases) {
      if (this.aliasesById.get(alias.id) === alias) this.aliasesById.delete(alias.id);
      deleteIfPointsTo(this.aliasIdsByFactors, factorsKey(alias.mountAccessor, alias.name), alias.id);
    }
  }

  addGroup(group: Group): void {
    this.groups.set(group.id, group);
    this.groupIdsByName.set(nameKey(group.name), group.id);
    for (const entityId of group.memberEntityIds) addToSet(this.groupIdsByMemberEntity, entityId, group.id);
    for (const memberGroupId of group.memberGroupIds) addToSet(this.parentGroupIds, memberGroupId, group.id);
    if (group.alias !== null) {
      this.groupAliasesById.set(group.alias.id, group.alias);
      this.groupAliasIdsByFactors.set(factorsKey(group.alias.mountAccessor, group.alias.name), group.alias.id);
    }
  }

  removeGroup(group: Group): void {
    if (this.groups.get(group.id) === group) this.groups.delete(group.id);
    deleteIfPointsTo(this.groupIdsByName, nameKey(group.name), group.id);
    for (const entityId of group.memberEntityIds) removeFromSet(this.groupIdsByMemberEntity, entityId, group.id);
    for (const memberGroupId of group.memberGroupIds) removeFromSet(this.parentGroupIds, memberGroupId, group.id);
    if (group.alias !== null) {
      if (this.groupAliasesById.get(group.alias.id) === group.alias) this.groupAliasesById.delete(group.alias.id);
      deleteIfPointsTo(this.groupAliasIdsByFactors, factorsKey(group.alias.mountAccessor, group.alias.name), group.alias.id);
    }
  }

  private groupsByIds(ids: Set<string> | undefined): Group[] {
    if (ids === undefined) return [];
    const groups: Group[] = [];
    for (const id of ids) {
      const group = this.groups.get(id);
      if (group !== undefined) groups.push(group);
    }
    return groups;
  }
}

function deleteIfPointsTo(map: Map<string, string>, key: string, value: string): void {
  if (map.get(key) === value) map.delete(key);
}
