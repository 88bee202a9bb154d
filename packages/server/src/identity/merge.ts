/**
 * Merging entities, as Vault's identity/entity/merge does. The aliases and
 * group memberships of the merged entities move to the target entity, and
 * the merged entities are deleted. Their IDs are kept in the target's
 * `merged_entity_ids`, so their tokens resolve to the target. Policies and
 * metadata of the merged entities are dropped, as in Vault.
 */
import { badRequest } from '@coffer/sdk';
import type { IdentityIndex } from './indexes.js';
import { timestamp, unique, type Entity, type EntityAlias, type Group } from './model.js';
import type { WritePlan } from './store.js';

/**
 * Plans a merge.
 * @throws CofferError (400) for a missing or unknown entity, or for two
 *   aliases on one mount that `keepAliasIds` does not settle.
 */
export function planEntityMerge(index: IdentityIndex, toId: string, fromIds: readonly string[], keepAliasIds: readonly string[]): WritePlan<void> {
  if (toId === '') throw badRequest('missing entity id to merge to: set "to_entity_id"');
  if (fromIds.length === 0) throw badRequest('missing entity ids to merge from: set "from_entity_ids"');
  const target = index.entity(toId);
  if (target === undefined) throw badRequest(`entity id to merge to is invalid: no entity has the ID "${toId}"`);
  if (fromIds.length > 1 && keepAliasIds.length > 1) {
    throw badRequest('aliases conflicts cannot be resolved with multiple from entity ids - merge one entity at a time');
  }

  const sources = unique(fromIds).map((id) => {
    if (id === toId) throw badRequest(`to_entity_id should not be present in from_entity_ids: remove "${id}" from "from_entity_ids"`);
    const source = index.entity(id);
    if (source === undefined) throw badRequest(`entity id to merge from is invalid: no entity has the ID "${id}"`);
    return source;
  });
  if (keepAliasIds.length === 0) checkAliasClashes(target, sources);

  const now = timestamp();
  const aliases = mergeAliases(target, sources, keepAliasIds, now);
  const merged: Entity = {
    ...target,
    aliases,
    mergedEntityIds: unique([...target.mergedEntityIds, ...sources.flatMap((source) => [...source.mergedEntityIds, source.id])]),
    lastUpdateTime: now,
  };
  return {
    changes: { putEntities: [merged], putGroups: moveMemberships(index, target.id, sources, now), deleteEntityIds: sources.map((source) => source.id) },
    result: undefined,
  };
}

/** Rejects a merge where two entities hold aliases on the same mount, naming every clash. */
function checkAliasClashes(target: Entity, sources: Entity[]): void {
  const sourceByAccessor = new Map<string, string>();
  for (const source of sources) {
    for (const alias of source.aliases) {
      const other = sourceByAccessor.get(alias.mountAccessor);
      if (other !== undefined && other !== source.id) {
        throw badRequest(`mount accessor ${alias.mountAccessor} found in multiple fromEntities, merge should be done with one fromEntity at a time`);
      }
      sourceByAccessor.set(alias.mountAccessor, source.id);
    }
  }

  const clashes: string[] = [];
  for (const targetAlias of target.aliases) {
    for (const source of sources) {
      for (const sourceAlias of source.aliases) {
        if (sourceAlias.mountAccessor !== targetAlias.mountAccessor) continue;
        clashes.push(
          `mountAccessor: ${targetAlias.mountAccessor}, toEntity ID: ${target.id}, fromEntity ID: ${source.id}, ` +
            `conflicting toEntity alias ID: ${targetAlias.id}, conflicting fromEntity alias ID: ${sourceAlias.id}`,
        );
      }
    }
  }
  if (clashes.length > 0) {
    throw badRequest(
      'toEntity and at least one fromEntity have aliases with the same mount accessor, repeat the merge request specifying exactly one fromEntity, ' +
        `and list the alias ID to keep in "conflicting_alias_ids_to_keep"; clashes: ${clashes.join('; ')}`,
    );
  }
}

/** Moves the sources' aliases to the target; of two aliases on one mount, the one in `keepAliasIds` stays. */
function mergeAliases(target: Entity, sources: Entity[], keepAliasIds: readonly string[], now: string): EntityAlias[] {
  let aliases = [...target.aliases];
  for (const source of sources) {
    for (const alias of source.aliases) {
      const clash = aliases.find((existing) => existing.mountAccessor === alias.mountAccessor);
      if (clash !== undefined) {
        if (keepAliasIds.includes(clash.id)) continue;
        if (!keepAliasIds.includes(alias.id)) {
          throw badRequest(
            `conflicting mount accessors in following alias IDs and neither were present in conflicting_alias_ids_to_keep: ${alias.id}, ${clash.id}`,
          );
        }
        aliases = aliases.filter((existing) => existing !== clash);
      }
      aliases.push({
        ...alias,
        canonicalId: target.id,
        mergedFromCanonicalIds: [...alias.mergedFromCanonicalIds, source.id],
        lastUpdateTime: now,
      });
    }
  }
  return aliases;
}

/** Replaces the sources with the target in every group that lists a source. */
function moveMemberships(index: IdentityIndex, targetId: string, sources: Entity[], now: string): Group[] {
  const sourceIds = new Set(sources.map((source) => source.id));
  const groups = new Map<string, Group>();
  for (const source of sources) {
    for (const group of index.groupsWithMemberEntity(source.id)) {
      if (groups.has(group.id)) continue;
      const memberEntityIds = unique(group.memberEntityIds.map((id) => (sourceIds.has(id) ? targetId : id)));
      groups.set(group.id, { ...group, memberEntityIds, modifyIndex: group.modifyIndex + 1, lastUpdateTime: now });
    }
  }
  return [...groups.values()];
}
