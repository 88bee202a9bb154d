/**
 * identity/group-alias: create, read, update, delete and list the aliases
 * that map a group name in an auth mount (an LDAP group, say) to an external
 * group, as in Vault's group alias API. A group has at most one alias.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, definePath, internalError, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { aliasKeyInfo, describeGroupAlias, listResponse } from './describe.js';
import { byId, generateName, timestamp, validateName, type Group, type GroupAlias } from './model.js';
import type { IdentityStore, WritePlan } from './store.js';

const groupAliasFields = {
  id: { type: 'string', description: 'ID of the group alias; when set, the alias with this ID is updated.' },
  name: { type: 'string', description: 'Name of the group in the auth mount, such as an LDAP group name.' },
  mount_accessor: { type: 'string', description: 'Accessor of the auth mount that reports the group.' },
  canonical_id: { type: 'string', description: 'ID of the external group; a new external group is created when a new alias has none.' },
} as const;

interface GroupAliasInput {
  name: string;
  mountAccessor: string;
  canonicalId: string;
}

type GroupAliasResult = { id: string; canonical_id: string } | null;

/** Finds the external group named by `canonical_id`, if the write names one. */
function targetGroup(store: IdentityStore, canonicalId: string): Group | undefined {
  if (canonicalId === '') return undefined;
  const group = store.records.group(canonicalId);
  if (group === undefined) throw badRequest(`invalid group ID given in 'canonical_id': no group has the ID "${canonicalId}"`);
  if (group.type !== 'external') throw badRequest(`alias can't be set on an internal group: group "${canonicalId}" is internal`);
  return group;
}

function withAlias(group: Group, alias: GroupAlias | null, now: string): Group {
  return { ...group, alias, modifyIndex: group.modifyIndex + 1, lastUpdateTime: now };
}

function rejectSecondAlias(group: Group): void {
  if (group.alias !== null) {
    throw badRequest(`group "${group.id}" already has the alias "${group.alias.id}": update or delete that alias first`);
  }
}

/** Plans a create (when `existing` is undefined) or an update of a group alias. */
function planGroupAliasWrite(store: IdentityStore, existing: GroupAlias | undefined, input: GroupAliasInput): WritePlan<GroupAliasResult> {
  const index = store.records;
  if (input.name === '') throw badRequest('missing alias name: set "name" to the group name the auth method reports');
  if (input.mountAccessor === '') throw badRequest('missing mount_accessor: set it to the accessor of the auth mount, listed at sys/auth');
  validateName('name', input.name);
  if (existing !== undefined && existing.name === input.name && existing.mountAccessor === input.mountAccessor) {
    if (input.canonicalId === '' || input.canonicalId === existing.canonicalId) return { changes: {}, result: null };
  }

  const target = targetGroup(store, input.canonicalId);
  if (store.mount(input.mountAccessor) === undefined) {
    throw badRequest(`invalid mount accessor "${input.mountAccessor}": read the accessors of auth mounts at sys/auth`);
  }
  const byFactors = index.groupAliasByFactors(input.mountAccessor, input.name);
  if (byFactors !== undefined && byFactors.id !== existing?.id) {
    throw badRequest(`combination of mount and group alias name is already in use: group alias "${byFactors.id}"`);
  }

  const now = timestamp();
  if (existing === undefined) {
    const group: Group = target ?? {
      id: randomUUID(),
      name: generateName('group', (candidate) => index.groupByName(candidate) !== undefined),
      type: 'external',
      policies: [],
      metadata: {},
      memberEntityIds: [],
      memberGroupIds: [],
      alias: null,
      modifyIndex: 0,
      creationTime: now,
      lastUpdateTime: now,
    };
    rejectSecondAlias(group);
    const alias: GroupAlias = { id: randomUUID(), canonicalId: group.id, mountAccessor: input.mountAccessor, name: input.name, creationTime: now, lastUpdateTime: now };
    return { changes: { putGroups: [withAlias(group, alias, now)] }, result: { id: alias.id, canonical_id: group.id } };
  }

  const previous = index.group(existing.canonicalId);
  if (previous === undefined) throw internalError(`group alias "${existing.id}" has no group`);
  const alias: GroupAlias = { ...existing, mountAccessor: input.mountAccessor, name: input.name, lastUpdateTime: now };
  if (target === undefined || target.id === previous.id) {
    return { changes: { putGroups: [withAlias(previous, alias, now)] }, result: { id: alias.id, canonical_id: previous.id } };
  }
  rejectSecondAlias(target);
  const moved = { ...alias, canonicalId: target.id };
  return {
    changes: { putGroups: [withAlias(target, moved, now), withAlias(previous, null, now)] },
    result: { id: alias.id, canonical_id: target.id },
  };
}

type GroupAliasFieldData = Parameters<NonNullable<PathDefinition<typeof groupAliasFields>['existenceCheck']>>[1];

async function writeGroupAlias(store: IdentityStore, fields: GroupAliasFieldData): Promise<{ data: Record<string, unknown> } | null> {
  const id = fields.get('id');
  const input: GroupAliasInput = { name: fields.get('name'), mountAccessor: fields.get('mount_accessor'), canonicalId: fields.get('canonical_id') };
  const result = await store.write(() => {
    let existing: GroupAlias | undefined;
    if (id !== '') {
      existing = store.records.groupAlias(id);
      if (existing === undefined) throw badRequest(`invalid group alias ID "${id}": list group alias IDs at identity/group-alias/id`);
    }
    return planGroupAliasWrite(store, existing, input);
  });
  if (result === null) return null;
  store.logger.info({ groupAliasId: result.id, groupId: result.canonical_id }, 'group alias written');
  return { data: result };
}

export function groupAliasPaths(store: IdentityStore): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'group-alias',
      fields: groupAliasFields,
      operations: { update: async (_request, fields) => writeGroupAlias(store, fields) },
      helpSynopsis: 'Create or update a group alias.',
      helpDescription: 'Creates an alias of an external group, or updates the one named by "id".',
    }),
    definePath({
      pattern: 'group-alias/id/?',
      fields: {},
      operations: {
        async list() {
          const aliases = byId(store.records.groupAliases());
          const keyInfo: Record<string, unknown> = {};
          for (const alias of aliases) keyInfo[alias.id] = aliasKeyInfo(store, alias);
          return listResponse(
            aliases.map((alias) => alias.id),
            keyInfo,
          );
        },
      },
      helpSynopsis: 'List group alias IDs.',
      helpDescription: 'Returns the IDs of all group aliases, with their names, groups and mounts under "key_info".',
    }),
    definePath({
      pattern: `group-alias/id/${nameSegment('id')}`,
      fields: groupAliasFields,
      operations: {
        async read(_request, fields) {
          const alias = store.records.groupAlias(fields.get('id'));
          return alias === undefined ? null : { data: describeGroupAlias(store, alias) };
        },
        update: async (_request, fields) => writeGroupAlias(store, fields),
        async delete(_request, fields) {
          const id = fields.get('id');
          const deleted = await store.write(() => {
            const alias = store.records.groupAlias(id);
            const group = alias === undefined ? undefined : store.records.group(alias.canonicalId);
            if (group === undefined) return { changes: {}, result: false };
            return { changes: { putGroups: [withAlias(group, null, timestamp())] }, result: true };
          });
          if (deleted) store.logger.info({ groupAliasId: id }, 'group alias deleted');
          return null;
        },
      },
      helpSynopsis: 'Read, update or delete a group alias by ID.',
      helpDescription: 'Deleting an alias leaves its group and the group\'s members in place.',
    }),
  ];
}
