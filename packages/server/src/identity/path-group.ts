/**
 * identity/group: create, read, update, delete and list groups, by ID or by
 * name, as in Vault's group API. Internal groups list their member entities
 * and member groups; external groups get members from logins instead.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { describeGroup, groupKeyInfo, listResponse } from './describe.js';
import type { IdentityIndex } from './indexes.js';
import {
  byId,
  generateName,
  sanitizeIdentityPolicies,
  timestamp,
  unique,
  validateMetadata,
  validateName,
  type Group,
  type GroupType,
} from './model.js';
import type { ChangeSet, IdentityStore, WritePlan } from './store.js';

const groupFields = {
  id: { type: 'string', description: 'ID of the group; when set, the group with this ID is updated.' },
  type: { type: 'string', description: '"internal" (the default) or "external"; it cannot change once set.' },
  name: { type: 'string', description: 'Name of the group; "group_<8 hex digits>" when a new group has none.' },
  metadata: { type: 'kv_pairs', description: 'Metadata of the group: an object of strings or a list of "key=value".' },
  policies: { type: 'comma_string_slice', description: 'Policies that the tokens of member entities get.' },
  member_group_ids: { type: 'comma_string_slice', description: 'IDs of subgroups; their members get this group\'s policies. Internal groups only.' },
  member_entity_ids: { type: 'comma_string_slice', description: 'IDs of member entities. Internal groups only.' },
} as const;

/** The settable fields of a group write; unset fields keep their value. */
interface GroupInput {
  name: string;
  type?: string;
  policies?: string[];
  metadata?: Record<string, string>;
  memberEntityIds?: string[];
  memberGroupIds?: string[];
}

/** Returns true when `targetId` is `fromId` or one of its subgroups at any depth. */
function reachesGroup(index: IdentityIndex, fromId: string, targetId: string): boolean {
  const seen = new Set<string>();
  const pending = [fromId];
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (id === targetId) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    pending.push(...(index.group(id)?.memberGroupIds ?? []));
  }
  return false;
}

function checkGroupType(existing: Group | undefined, requested: string | undefined): GroupType {
  if (requested !== undefined && existing !== undefined && requested !== existing.type) {
    throw badRequest(`group type cannot be changed: group "${existing.id}" is ${existing.type}; create a new group instead`);
  }
  const type = requested ?? existing?.type ?? 'internal';
  if (type !== 'internal' && type !== 'external') throw badRequest(`invalid group type "${type}": use "internal" or "external"`);
  return type;
}

function checkMemberEntities(index: IdentityIndex, type: GroupType, ids: string[]): string[] {
  if (type === 'external') throw badRequest(`member entities can't be set manually for external groups: logins set them from group aliases`);
  const members = unique(ids);
  for (const id of members) {
    if (index.entity(id) === undefined) throw badRequest(`invalid entity ID "${id}" in "member_entity_ids": no entity has this ID`);
  }
  return members;
}

/** Checks new subgroups: they must exist and must not make the group its own subgroup. */
function checkMemberGroups(index: IdentityIndex, type: GroupType, groupId: string | undefined, current: string[], ids: string[]): string[] {
  if (type === 'external') throw badRequest(`member groups can't be set for external groups`);
  const members = unique(ids);
  for (const id of members) {
    if (index.group(id) === undefined) throw badRequest(`invalid member group ID "${id}" in "member_group_ids": no group has this ID`);
    if (id === groupId) throw badRequest(`member group ID "${id}" is same as the ID of the group`);
    // A group that does not exist yet has no subgroups, so no new member can lead back to it.
    if (groupId !== undefined && !current.includes(id) && reachesGroup(index, id, groupId)) {
      throw badRequest(`cyclic relationship detected for member group ID "${id}"`);
    }
  }
  return members;
}

/** Plans a create (when `existing` is undefined) or an update of a group. */
function planGroupUpsert(index: IdentityIndex, existing: Group | undefined, input: GroupInput): WritePlan<{ group: Group; created: boolean }> {
  const policies = input.policies !== undefined ? sanitizeIdentityPolicies(input.policies) : (existing?.policies ?? []);
  const type = checkGroupType(existing, input.type);
  if (input.name !== '') {
    validateName('name', input.name);
    const byName = index.groupByName(input.name);
    if (byName !== undefined && byName.id !== existing?.id) {
      throw badRequest(`group name is already in use: "${input.name}" names group "${byName.id}"; choose another name`);
    }
  }
  const metadata = input.metadata ?? existing?.metadata ?? {};
  validateMetadata('metadata', metadata);
  const memberEntityIds =
    input.memberEntityIds !== undefined ? checkMemberEntities(index, type, input.memberEntityIds) : (existing?.memberEntityIds ?? []);
  const memberGroupIds =
    input.memberGroupIds !== undefined
      ? checkMemberGroups(index, type, existing?.id, existing?.memberGroupIds ?? [], input.memberGroupIds)
      : (existing?.memberGroupIds ?? []);

  const now = timestamp();
  const group: Group = {
    id: existing?.id ?? randomUUID(),
    name: input.name !== '' ? input.name : (existing?.name ?? generateName('group', (candidate) => index.groupByName(candidate) !== undefined)),
    type,
    policies,
    metadata,
    memberEntityIds,
    memberGroupIds,
    alias: existing?.alias ?? null,
    modifyIndex: (existing?.modifyIndex ?? 0) + 1,
    creationTime: existing?.creationTime ?? now,
    lastUpdateTime: now,
  };
  return { changes: { putGroups: [group] }, result: { group, created: existing === undefined } };
}

/** Plans the deletion of a group with its alias, and its removal from its parent groups. */
export function planGroupDeletion(index: IdentityIndex, group: Group): ChangeSet {
  const now = timestamp();
  const parents = index.parentGroups(group.id).map((parent) => ({
    ...parent,
    memberGroupIds: parent.memberGroupIds.filter((id) => id !== group.id),
    modifyIndex: parent.modifyIndex + 1,
    lastUpdateTime: now,
  }));
  return { putGroups: parents, deleteGroupIds: [group.id] };
}

type GroupFieldData = Parameters<NonNullable<PathDefinition<typeof groupFields>['existenceCheck']>>[1];

function groupInput(fields: GroupFieldData, name: string): GroupInput {
  return {
    name,
    ...(fields.get('type') !== '' ? { type: fields.get('type') } : {}),
    ...(fields.has('policies') ? { policies: fields.get('policies') } : {}),
    ...(fields.has('metadata') ? { metadata: fields.get('metadata') } : {}),
    ...(fields.has('member_entity_ids') ? { memberEntityIds: fields.get('member_entity_ids') } : {}),
    ...(fields.has('member_group_ids') ? { memberGroupIds: fields.get('member_group_ids') } : {}),
  };
}

/**
 * Writes a group. `find` names the group to update, by ID or by name, at
 * the time the write runs. As in Vault, a create returns the new group's ID
 * and name, and an update returns 204 No Content.
 */
async function upsert(store: IdentityStore, find: (index: IdentityIndex) => Group | undefined, input: GroupInput): Promise<{ data: Record<string, unknown> } | null> {
  const { group, created } = await store.write(() => planGroupUpsert(store.records, find(store.records), input));
  if (!created) return null;
  store.logger.info({ groupId: group.id, type: group.type }, 'group created');
  return { data: { id: group.id, name: group.name } };
}

function updateById(store: IdentityStore, id: string, input: GroupInput): Promise<{ data: Record<string, unknown> } | null> {
  return upsert(
    store,
    (index) => {
      const group = index.group(id);
      if (group === undefined) throw badRequest(`invalid group ID "${id}": list group IDs at identity/group/id`);
      return group;
    },
    input,
  );
}

async function deleteGroup(store: IdentityStore, find: (index: IdentityIndex) => Group | undefined): Promise<null> {
  const deleted = await store.write(() => {
    const group = find(store.records);
    return group === undefined ? { changes: {}, result: undefined } : { changes: planGroupDeletion(store.records, group), result: group.id };
  });
  if (deleted !== undefined) store.logger.info({ groupId: deleted }, 'group deleted');
  return null;
}

function listGroups(store: IdentityStore, key: 'id' | 'name'): { data: Record<string, unknown> } | null {
  const groups = byId(store.records.groups.values());
  const keyInfo: Record<string, unknown> = {};
  for (const group of groups) keyInfo[group.id] = groupKeyInfo(store, group);
  return listResponse(
    groups.map((group) => group[key]),
    keyInfo,
  );
}

export function groupPaths(store: IdentityStore): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'group',
      fields: groupFields,
      operations: {
        async update(_request, fields) {
          const input = groupInput(fields, fields.get('name'));
          if (fields.get('id') !== '') return updateById(store, fields.get('id'), input);
          return upsert(store, (index) => (input.name === '' ? undefined : index.groupByName(input.name)), input);
        },
      },
      helpSynopsis: 'Create or update a group.',
      helpDescription: 'Creates a group, or updates the one named by "id" or by an existing "name".',
    }),
    definePath({
      pattern: 'group/id/?',
      fields: {},
      operations: { list: async () => listGroups(store, 'id') },
      helpSynopsis: 'List group IDs.',
      helpDescription: 'Returns the IDs of all groups, with names, member counts and aliases under "key_info".',
    }),
    definePath({
      pattern: `group/id/${nameSegment('id')}`,
      fields: groupFields,
      operations: {
        async read(_request, fields) {
          const group = store.records.group(fields.get('id'));
          return group === undefined ? null : { data: describeGroup(store, group) };
        },
        update: async (_request, fields) => updateById(store, fields.get('id'), groupInput(fields, fields.get('name'))),
        delete: async (_request, fields) => deleteGroup(store, (index) => index.group(fields.get('id'))),
      },
      helpSynopsis: 'Read, update or delete a group by ID.',
      helpDescription: 'Deleting a group deletes its alias and removes it from its parent groups.',
    }),
    definePath({
      pattern: 'group/name/?',
      fields: {},
      operations: { list: async () => listGroups(store, 'name') },
      helpSynopsis: 'List group names.',
      helpDescription: 'Returns the names of all groups; "key_info" is keyed by group ID, as in Vault.',
    }),
    definePath({
      pattern: 'group/name/(?<name>.+)',
      fields: groupFields,
      operations: {
        async read(_request, fields) {
          const group = store.records.groupByName(fields.get('name'));
          return group === undefined ? null : { data: describeGroup(store, group) };
        },
        update: async (_request, fields) => upsert(store, (index) => index.groupByName(fields.get('name')), groupInput(fields, fields.get('name'))),
        delete: async (_request, fields) => deleteGroup(store, (index) => index.groupByName(fields.get('name'))),
      },
      helpSynopsis: 'Create, read, update or delete a group by name.',
      helpDescription: 'A write creates the group when no group has the name, and updates it otherwise.',
    }),
  ];
}
