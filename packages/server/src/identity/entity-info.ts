/**
 * Entity lookups for plugins: the system view's `entityInfo` and
 * `groupsForEntity`, read from the identity store's memory. They return
 * what Vault's `logical.Entity` and `logical.Group` hold and nothing more:
 * no policies, merge history or timestamps.
 */
import type { IdentityEntity, IdentityGroup } from '@coffer/sdk';
import { groupMembership } from './resolve.js';
import type { IdentityStore } from './store.js';

/**
 * Returns the entity `entityId` with its aliases, or `undefined` when the ID
 * is empty or names no entity, as in Vault. The ID of an entity merged into
 * another returns that other one, as its tokens resolve to it. A disabled entity is
 * returned with `disabled` set.
 */
export function entityInfo(identity: IdentityStore, entityId: string): IdentityEntity | undefined {
  if (entityId === '') return undefined;
  const entity = identity.records.entityOrMergedInto(entityId);
  if (entity === undefined) return undefined;

  return {
    id: entity.id,
    name: entity.name,
    aliases: entity.aliases.map((alias) => ({
      id: alias.id,
      mountAccessor: alias.mountAccessor,
      // The type is not stored with the alias; an alias of a disabled mount has none.
      mountType: identity.mount(alias.mountAccessor)?.type ?? '',
      name: alias.name,
      metadata: { ...alias.metadata },
      customMetadata: { ...alias.customMetadata },
    })),
    metadata: { ...entity.metadata },
    disabled: entity.disabled,
  };
}

/**
 * Returns the groups of the entity `entityId`: those that list it as a
 * member, then those above them through member groups, each once and each
 * part sorted by ID. Empty when the ID is empty or names no entity.
 */
export function groupsForEntity(identity: IdentityStore, entityId: string): IdentityGroup[] {
  if (entityId === '') return [];
  const entity = identity.records.entityOrMergedInto(entityId);
  if (entity === undefined) return [];

  const { direct, inherited } = groupMembership(identity.records, entity.id);
  return [...direct, ...inherited].map((group) => ({ id: group.id, name: group.name, metadata: { ...group.metadata } }));
}
