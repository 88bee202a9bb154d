/**
 * From a login to an entity, and from an entity to its identity policies.
 *
 * A login's alias (mount accessor and name) finds its entity, or creates
 * one with that alias, as Vault does. Group aliases from the auth method
 * (LDAP groups, say) set the entity's membership in external groups of the
 * same mount. An entity's identity policies are its own plus those of every
 * group it is in, directly or as a member of a member group.
 */
import { randomUUID } from 'node:crypto';
import { internalError, permissionDenied, type Auth } from '@coffer/sdk';
import type { EntityContext } from '../policy/index.js';
import type { LoginIdentity } from '../token/login.js';
import type { IdentityIndex } from './indexes.js';
import { byId, generateName, sameMap, timestamp, type Entity, type Group } from './model.js';
import type { IdentityPolicies, IdentityStore, WritePlan } from './store.js';

/** The groups an entity belongs to: listed as a member, or through a member group. */
export interface GroupMembership {
  direct: Group[];
  inherited: Group[];
}

/**
 * Walks from the entity's groups up through every parent group. Each group
 * is visited once, so a cycle in stored data cannot loop.
 */
export function groupMembership(index: IdentityIndex, entityId: string): GroupMembership {
  const direct = index.groupsWithMemberEntity(entityId);
  const seen = new Set(direct.map((group) => group.id));
  const inherited: Group[] = [];
  const pending = [...direct];
  while (pending.length > 0) {
    const group = pending.pop()!;
    for (const parent of index.parentGroups(group.id)) {
      if (seen.has(parent.id)) continue;
      seen.add(parent.id);
      inherited.push(parent);
      pending.push(parent);
    }
  }
  return { direct: byId(direct), inherited: byId(inherited) };
}

/** Computes what `IdentityStore.policiesFor` returns for an existing entity. */
export function computeIdentityPolicies(index: IdentityIndex, entity: Entity): IdentityPolicies {
  const { direct, inherited } = groupMembership(index, entity.id);
  const groups = [...direct, ...inherited];
  const names = new Set<string>();
  for (const policy of [...entity.policies, ...groups.flatMap((group) => group.policies)]) {
    // Vault lower-cases and trims identity policies the way it does token policies.
    const name = policy.trim().toLowerCase();
    if (name !== '') names.add(name);
  }
  const context: EntityContext = {
    id: entity.id,
    name: entity.name,
    metadata: entity.metadata,
    aliases: entity.aliases.map((alias) => ({
      id: alias.id,
      mountAccessor: alias.mountAccessor,
      name: alias.name,
      metadata: alias.metadata,
      customMetadata: alias.customMetadata,
    })),
    groups: groups.map((group) => ({ id: group.id, name: group.name, metadata: group.metadata })),
  };
  return { identityPolicies: [...names].sort(), context, disabled: entity.disabled, found: true };
}

/**
 * Finds or creates the entity of a login's alias; see `IdentityStore.resolveLogin`.
 * A login without an alias gets no entity.
 */
export async function resolveLogin(store: IdentityStore, mountAccessor: string, mountType: string, auth: Auth): Promise<LoginIdentity> {
  const alias = auth.alias;
  if (alias === undefined) return { entityId: '', identityPolicies: [] };
  if (alias.name === '') throw internalError(`the auth method at accessor "${mountAccessor}" returned an alias with an empty name`);
  const metadata = alias.metadata ?? {};

  let entity = unchangedLoginEntity(store.records, mountAccessor, alias.name, metadata);
  if (entity === undefined) {
    const written = await store.write(() => planLoginEntity(store.records, mountAccessor, alias.name, metadata));
    entity = written.entity;
    if (written.created) store.logger.info({ entityId: entity.id, mountAccessor, mountType }, 'entity created for a login');
  }
  if (entity.disabled) {
    store.logger.warn({ entityId: entity.id, mountAccessor }, 'login denied because the entity is disabled');
    throw permissionDenied();
  }

  if (auth.groupAliases !== undefined) {
    await refreshExternalGroups(store, entity.id, mountAccessor, auth.groupAliases.map((groupAlias) => groupAlias.name));
  }
  const policies = await store.policiesFor(entity.id);
  return { entityId: entity.id, identityPolicies: policies.identityPolicies };
}

/** Returns the alias's entity when the login changes nothing, so no write is needed. */
function unchangedLoginEntity(index: IdentityIndex, mountAccessor: string, name: string, metadata: Record<string, string>): Entity | undefined {
  const alias = index.entityAliasByFactors(mountAccessor, name);
  if (alias === undefined || !sameMap(alias.metadata, metadata)) return undefined;
  return index.entity(alias.canonicalId);
}

/** Plans the login's entity: the existing one with fresh alias metadata, or a new one. */
function planLoginEntity(index: IdentityIndex, mountAccessor: string, name: string, metadata: Record<string, string>): WritePlan<{ entity: Entity; created: boolean }> {
  const now = timestamp();
  const alias = index.entityAliasByFactors(mountAccessor, name);
  if (alias !== undefined) {
    const entity = index.entity(alias.canonicalId);
    if (entity === undefined) throw internalError(`entity alias "${alias.id}" has no entity`);
    // Another login may have refreshed the alias while this one waited.
    if (sameMap(alias.metadata, metadata)) return { changes: {}, result: { entity, created: false } };

    const aliases = entity.aliases.map((item) => (item.id === alias.id ? { ...item, metadata, lastUpdateTime: now } : item));
    const updated = { ...entity, aliases };
    return { changes: { putEntities: [updated] }, result: { entity: updated, created: false } };
  }

  const entityId = randomUUID();
  const entity: Entity = {
    id: entityId,
    name: generateName('entity', (candidate) => index.entityByName(candidate) !== undefined),
    policies: [],
    metadata: {},
    disabled: false,
    aliases: [
      {
        id: randomUUID(),
        canonicalId: entityId,
        mountAccessor,
        name,
        metadata,
        customMetadata: {},
        mergedFromCanonicalIds: [],
        creationTime: now,
        lastUpdateTime: now,
      },
    ],
    mergedEntityIds: [],
    creationTime: now,
    lastUpdateTime: now,
  };
  return { changes: { putEntities: [entity] }, result: { entity, created: true } };
}

/**
 * Makes the entity a member of the external groups whose aliases match the
 * login's group names on this mount, and removes it from the external groups
 * of this mount that the login no longer lists. Groups of other mounts keep it.
 */
async function refreshExternalGroups(store: IdentityStore, entityId: string, mountAccessor: string, groupNames: string[]): Promise<void> {
  if (planGroupRefresh(store.records, entityId, mountAccessor, groupNames).length === 0) return;
  const changed = await store.write(() => {
    const groups = planGroupRefresh(store.records, entityId, mountAccessor, groupNames);
    return { changes: { putGroups: groups }, result: groups };
  });
  store.logger.debug({ entityId, groupIds: changed.map((group) => group.id) }, 'external group memberships refreshed');
}

/**
 * Sets the external group memberships of a token's entity from the group
 * names its auth method reported when renewing the login, as Vault does.
 * A token of an entity merged away refreshes the entity it was merged into.
 */
export async function refreshRenewedGroups(store: IdentityStore, entityId: string, mountAccessor: string, groupNames: string[]): Promise<void> {
  const entity = store.records.entityOrMergedInto(entityId);
  if (entity === undefined) return;
  await refreshExternalGroups(store, entity.id, mountAccessor, groupNames);
}

function planGroupRefresh(index: IdentityIndex, entityId: string, mountAccessor: string, groupNames: string[]): Group[] {
  // The entity may have been deleted while the write waited its turn.
  if (index.entity(entityId) === undefined) return [];

  const listedGroups = new Map<string, Group>();
  for (const name of groupNames) {
    const alias = index.groupAliasByFactors(mountAccessor, name);
    const group = alias === undefined ? undefined : index.group(alias.canonicalId);
    if (group?.type === 'external') listedGroups.set(group.id, group);
  }

  const changed: Group[] = [];
  const now = timestamp();
  for (const group of listedGroups.values()) {
    if (group.memberEntityIds.includes(entityId)) continue;
    changed.push({ ...group, memberEntityIds: [...group.memberEntityIds, entityId], modifyIndex: group.modifyIndex + 1, lastUpdateTime: now });
  }
  for (const group of index.groupsWithMemberEntity(entityId)) {
    if (group.type !== 'external' || listedGroups.has(group.id)) continue;
    if (group.alias !== null && group.alias.mountAccessor !== mountAccessor) continue;
    const memberEntityIds = group.memberEntityIds.filter((id) => id !== entityId);
    changed.push({ ...group, memberEntityIds, modifyIndex: group.modifyIndex + 1, lastUpdateTime: now });
  }
  return changed;
}
