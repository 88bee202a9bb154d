/**
 * The identity store: entities with their aliases and groups with their
 * aliases, stored behind the barrier under `sys/identity/` and held in
 * memory with the indexes every lookup uses, so reads never touch storage.
 *
 * Writes run one at a time. A write plans its changes against the current
 * state, persists every changed record, and only then applies them to
 * memory, so a rejected write changes nothing and readers never see half
 * of one.
 */
import { internalError, type Auth, type Logger, type Storage } from '@coffer/sdk';
import type { EntityContext } from '../policy/index.js';
import type { LoginIdentity } from '../token/login.js';
import { IdentityIndex } from './indexes.js';
import { encodeRecord, entityKey, groupKey, loadIdentity } from './load.js';
import type { Entity, Group } from './model.js';
import { computeIdentityPolicies, refreshRenewedGroups, resolveLogin } from './resolve.js';

/** The mount an accessor names: its path (with `auth/` for auth methods) and type. */
export interface MountInfo {
  path: string;
  type: string;
}

export type MountLookup = (accessor: string) => MountInfo | undefined;

/** The records one write stores and deletes. */
export interface ChangeSet {
  putEntities?: Entity[];
  deleteEntityIds?: string[];
  putGroups?: Group[];
  deleteGroupIds?: string[];
}

/** The result of a write's plan: the changes to persist and the value the write resolves to. */
export interface WritePlan<T> {
  changes: ChangeSet;
  result: T;
}

/** The identity facts of a token's entity, as the request pipeline needs them. */
export interface IdentityPolicies {
  /** Policies of the entity and of every group it belongs to, directly or through subgroups. */
  identityPolicies: string[];
  /** Facts for templated policies; `undefined` when the entity does not exist. */
  context: EntityContext | undefined;
  disabled: boolean;
  /** False when the entity was deleted; Vault then denies the token. */
  found: boolean;
}

export class IdentityStore {
  private index = new IdentityIndex();
  /** Results of `policiesFor` by entity ID; every write clears it. */
  private readonly policyCache = new Map<string, IdentityPolicies>();
  /** The tail of the queue that runs writes one at a time. */
  private writes: Promise<unknown> = Promise.resolve();
  /** True between `setup` and `teardown`, the only time writes may reach storage. */
  private loaded = false;

  constructor(
    private readonly storage: Storage,
    readonly logger: Logger,
    private readonly mountInfo: MountLookup,
  ) {}

  /** Loads every entity and group; called at unseal, after the mount tables. */
  async setup(): Promise<void> {
    const loaded = await loadIdentity(this.storage, this.logger);
    for (const id of loaded.leftoverEntityIds) await this.storage.delete(entityKey(id));
    this.index = loaded.index;
    this.policyCache.clear();
    this.loaded = true;
    this.logger.info({ entities: this.index.entities.size, groups: this.index.groups.size }, 'identity store loaded');
  }

  /**
   * Forgets everything held in memory, at seal and when the node stops
   * being active. A write still queued is then rejected, because a node
   * that is not active must not write shared storage.
   */
  teardown(): void {
    this.loaded = false;
    this.index = new IdentityIndex();
    this.policyCache.clear();
  }

  /** The current records and indexes. Callers must not keep it across an `await`. */
  get records(): IdentityIndex {
    return this.index;
  }

  /** Returns the path and type of the mount with `accessor`, if one exists. */
  mount(accessor: string): MountInfo | undefined {
    return this.mountInfo(accessor);
  }

  /**
   * Finds or creates the entity of a login's alias, refreshes its external
   * group memberships and returns its identity policies.
   * @throws CofferError (403) when the entity is disabled.
   */
  resolveLogin(mountAccessor: string, mountType: string, auth: Auth): Promise<LoginIdentity> {
    return resolveLogin(this, mountAccessor, mountType, auth);
  }

  /**
   * Sets the external group memberships of a token's entity from the group
   * names that the auth mount with `mountAccessor` reported at renewal.
   */
  refreshRenewedGroups(entityId: string, mountAccessor: string, groupNames: string[]): Promise<void> {
    return refreshRenewedGroups(this, entityId, mountAccessor, groupNames);
  }

  /**
   * Returns the identity policies and templating facts of an entity, from
   * memory. A token of an entity merged into another gets the other's.
   */
  async policiesFor(entityId: string): Promise<IdentityPolicies> {
    const cached = this.policyCache.get(entityId);
    if (cached !== undefined) return cached;

    const entity = this.index.entityOrMergedInto(entityId);
    if (entity === undefined) return { identityPolicies: [], context: undefined, disabled: false, found: false };
    const computed = computeIdentityPolicies(this.index, entity);
    this.policyCache.set(entityId, computed);
    return computed;
  }

  /**
   * Runs `plan` alone among writes, persists the changes it returns, then
   * applies them to memory. A plan reads the current records, and throws to
   * reject the write before anything is stored.
   * @throws CofferError (500) when the store is not loaded, or when storage
   *   fails, after which memory is reloaded from storage.
   */
  write<T>(plan: () => WritePlan<T>): Promise<T> {
    const task = async (): Promise<T> => {
      if (!this.loaded) {
        this.logger.warn({}, 'identity write rejected because the store is not loaded');
        throw internalError('identity store is not loaded: the node is sealed or no longer active');
      }
      const { changes, result } = plan();
      await this.commit(changes);
      return result;
    };
    const run = this.writes.then(task, task);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async commit(changes: ChangeSet): Promise<void> {
    // Taken before the first await, so a teardown during the write leaves
    // the fresh index alone and the changes land in the discarded one.
    const index = this.index;
    const putEntities = changes.putEntities ?? [];
    const putGroups = changes.putGroups ?? [];
    const deleteEntityIds = changes.deleteEntityIds ?? [];
    const deleteGroupIds = changes.deleteGroupIds ?? [];
    try {
      // Records that others point to are written before the records that
      // stop pointing at them are deleted, so a stop part way leaves
      // dangling references, which loading drops, and never lost data.
      for (const entity of putEntities) await this.storage.put({ key: entityKey(entity.id), value: encodeRecord(entity) });
      for (const group of putGroups) await this.storage.put({ key: groupKey(group.id), value: encodeRecord(group) });
      for (const id of deleteGroupIds) await this.storage.delete(groupKey(id));
      for (const id of deleteEntityIds) await this.storage.delete(entityKey(id));
    } catch (err) {
      this.logger.error({ err, entityIds: [...putEntities.map((entity) => entity.id), ...deleteEntityIds], groupIds: [...putGroups.map((group) => group.id), ...deleteGroupIds] }, 'identity write failed; reloading the identity store');
      await this.reloadAfterFailure();
      throw internalError('identity store write failed; the server log has the cause');
    }

    // Remove every old version before adding new ones, so an alias that
    // moves between two records of this write keeps its index entries.
    for (const id of [...putEntities.map((entity) => entity.id), ...deleteEntityIds]) {
      const old = index.entity(id);
      if (old !== undefined) index.removeEntity(old);
    }
    for (const id of [...putGroups.map((group) => group.id), ...deleteGroupIds]) {
      const old = index.group(id);
      if (old !== undefined) index.removeGroup(old);
    }
    for (const entity of putEntities) index.addEntity(entity);
    for (const group of putGroups) index.addGroup(group);
    this.policyCache.clear();
  }

  private async reloadAfterFailure(): Promise<void> {
    try {
      const loaded = await loadIdentity(this.storage, this.logger);
      // A teardown during the write or the reload keeps the store empty.
      if (!this.loaded) return;
      this.index = loaded.index;
      this.policyCache.clear();
    } catch (err) {
      this.logger.error({ err }, 'identity store reload failed; keeping the records from before the write');
    }
  }
}
