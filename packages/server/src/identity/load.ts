/**
 * Loading the identity store from storage at unseal, and the stored form of
 * its records.
 *
 * A write of several records can stop part way, so loading repairs what
 * such a stop leaves behind. An entity already merged into another is
 * dropped, and groups that still list it list its target instead. An alias
 * stored on two records stays with the later-updated copy. Members that no
 * longer exist are left out.
 */
import { internalError, type Logger, type Storage } from '@coffer/sdk';
import { IdentityIndex } from './indexes.js';
import { factorsKey, type Entity, type EntityAlias, type Group, type GroupAlias } from './model.js';

export const ENTITY_PREFIX = 'sys/identity/entity/';
export const GROUP_PREFIX = 'sys/identity/group/';

/** How many entries are read from storage at once while loading. */
const LOAD_BATCH = 64;

export function entityKey(id: string): string {
  return ENTITY_PREFIX + id;
}

export function groupKey(id: string): string {
  return GROUP_PREFIX + id;
}

export function encodeRecord(record: Entity | Group): Buffer {
  return Buffer.from(JSON.stringify({ version: 1, ...record }));
}

export interface LoadResult {
  index: IdentityIndex;
  /** Entities that a merge absorbed but did not delete; the caller deletes them. */
  leftoverEntityIds: string[];
}

/**
 * Reads every entity and group and builds the in-memory index.
 * @throws CofferError (500) when a stored record cannot be parsed.
 */
export async function loadIdentity(storage: Storage, logger: Logger): Promise<LoadResult> {
  const entities = await readAll(storage, ENTITY_PREFIX, (id, value) => decodeEntity(id, value));
  const groups = await readAll(storage, GROUP_PREFIX, (id, value) => decodeGroup(id, value));

  const mergedAway = new Set(entities.flatMap((entity) => entity.mergedEntityIds));
  const leftoverEntityIds = entities.filter((entity) => mergedAway.has(entity.id)).map((entity) => entity.id);
  if (leftoverEntityIds.length > 0) logger.warn({ entityIds: leftoverEntityIds }, 'dropping entities left over from an interrupted merge');

  const index = new IdentityIndex();
  const loadedEntities = dedupeEntityAliases(entities.filter((entity) => !mergedAway.has(entity.id)), logger);
  for (const entity of loadedEntities) addUnlessNameTaken(index, entity, logger);

  const groupIds = new Set(groups.map((group) => group.id));
  const repaired = dedupeGroupAliases(groups, logger).map((group) => ({
    ...group,
    memberEntityIds: currentMembers(index, group.memberEntityIds),
    memberGroupIds: group.memberGroupIds.filter((id) => groupIds.has(id)),
  }));
  for (const group of repaired) {
    if (index.groupByName(group.name) !== undefined) {
      logger.warn({ groupId: group.id }, 'skipping group whose name another group already has');
      continue;
    }
    index.addGroup(group);
  }
  return { index, leftoverEntityIds };
}

/**
 * Returns the member entities that still exist. A member merged away by a
 * merge that stopped before its groups were written is replaced by the
 * entity it was merged into, which the merge would have stored.
 */
function currentMembers(index: IdentityIndex, memberEntityIds: readonly string[]): string[] {
  const members = new Set<string>();
  for (const id of memberEntityIds) {
    const entity = index.entityOrMergedInto(id);
    if (entity !== undefined) members.add(entity.id);
  }
  return [...members];
}

async function readAll<T>(storage: Storage, prefix: string, decode: (id: string, value: Buffer) => T): Promise<T[]> {
  const ids = (await storage.list(prefix)).filter((key) => !key.endsWith('/'));
  const records: T[] = [];
  for (let start = 0; start < ids.length; start += LOAD_BATCH) {
    const batch = ids.slice(start, start + LOAD_BATCH);
    const entries = await Promise.all(batch.map((id) => storage.get(prefix + id)));
    entries.forEach((entry, position) => {
      if (entry !== null) records.push(decode(batch[position], entry.value));
    });
  }
  return records;
}

function addUnlessNameTaken(index: IdentityIndex, entity: Entity, logger: Logger): void {
  if (index.entityByName(entity.name) !== undefined) {
    logger.warn({ entityId: entity.id }, 'skipping entity whose name another entity already has');
    return;
  }
  index.addEntity(entity);
}

/**
 * Keeps each alias, by ID and by mount accessor and name, on one entity
 * only: the one whose copy was updated last.
 */
function dedupeEntityAliases(entities: Entity[], logger: Logger): Entity[] {
  const winners = pickLatest(entities.flatMap((entity) => entity.aliases));
  return entities.map((entity) => {
    const aliases = entity.aliases.filter((alias) => winners.has(alias));
    if (aliases.length === entity.aliases.length) return entity;
    logger.warn({ entityId: entity.id }, 'dropping stale copies of aliases that another entity has');
    return { ...entity, aliases };
  });
}

function dedupeGroupAliases(groups: Group[], logger: Logger): Group[] {
  const winners = pickLatest(groups.flatMap((group) => (group.alias === null ? [] : [group.alias])));
  return groups.map((group) => {
    if (group.alias === null || winners.has(group.alias)) return group;
    logger.warn({ groupId: group.id }, 'dropping a stale copy of a group alias that another group has');
    return { ...group, alias: null };
  });
}

function pickLatest<A extends EntityAlias | GroupAlias>(aliases: A[]): Set<A> {
  const latest = new Map<string, A>();
  for (const alias of aliases) {
    for (const key of [`id:${alias.id}`, `factors:${factorsKey(alias.mountAccessor, alias.name)}`]) {
      const current = latest.get(key);
      if (current === undefined || alias.lastUpdateTime > current.lastUpdateTime) latest.set(key, alias);
    }
  }
  return new Set(aliases.filter((alias) => latest.get(`id:${alias.id}`) === alias && latest.get(`factors:${factorsKey(alias.mountAccessor, alias.name)}`) === alias));
}

function parse(kind: string, id: string, value: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw internalError(`stored identity ${kind} "${id}" is not valid JSON`);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** Returns the string entries of a stored map. `fromEntries` keeps a `__proto__` key as an own entry. */
function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function decodeEntity(id: string, value: Buffer): Entity {
  const raw = parse('entity', id, value);
  if (raw.id !== id || typeof raw.name !== 'string') throw internalError(`stored identity entity "${id}" has no matching id or name`);
  const aliases = Array.isArray(raw.aliases) ? raw.aliases.map((alias) => decodeEntityAlias(alias as Record<string, unknown>, id)) : [];
  return {
    id,
    name: raw.name,
    policies: strings(raw.policies),
    metadata: stringMap(raw.metadata),
    disabled: raw.disabled === true,
    aliases,
    mergedEntityIds: strings(raw.mergedEntityIds),
    creationTime: text(raw.creationTime),
    lastUpdateTime: text(raw.lastUpdateTime),
  };
}

function decodeEntityAlias(raw: Record<string, unknown>, entityId: string): EntityAlias {
  return {
    id: text(raw.id),
    canonicalId: entityId,
    mountAccessor: text(raw.mountAccessor),
    name: text(raw.name),
    metadata: stringMap(raw.metadata),
    customMetadata: stringMap(raw.customMetadata),
    mergedFromCanonicalIds: strings(raw.mergedFromCanonicalIds),
    creationTime: text(raw.creationTime),
    lastUpdateTime: text(raw.lastUpdateTime),
  };
}

function decodeGroup(id: string, value: Buffer): Group {
  const raw = parse('group', id, value);
  if (raw.id !== id || typeof raw.name !== 'string') throw internalError(`stored identity group "${id}" has no matching id or name`);
  const alias = typeof raw.alias === 'object' && raw.alias !== null ? (raw.alias as Record<string, unknown>) : null;
  return {
    id,
    name: raw.name,
    type: raw.type === 'external' ? 'external' : 'internal',
    policies: strings(raw.policies),
    metadata: stringMap(raw.metadata),
    memberEntityIds: strings(raw.memberEntityIds),
    memberGroupIds: strings(raw.memberGroupIds),
    alias:
      alias === null
        ? null
        : {
            id: text(alias.id),
            canonicalId: id,
            mountAccessor: text(alias.mountAccessor),
            name: text(alias.name),
            creationTime: text(alias.creationTime),
            lastUpdateTime: text(alias.lastUpdateTime),
          },
    modifyIndex: typeof raw.modifyIndex === 'number' ? raw.modifyIndex : 0,
    creationTime: text(raw.creationTime),
    lastUpdateTime: text(raw.lastUpdateTime),
  };
}

