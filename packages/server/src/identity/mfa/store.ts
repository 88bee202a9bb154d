/**
 * The login MFA configuration: TOTP methods and login enforcements, held in
 * memory after unseal, and each entity's TOTP keys, read from storage when
 * a login needs one. Every record is stored behind the barrier.
 */
import { parseJson, type Logger, type Storage } from '@coffer/sdk';
import { deleteTree } from '../../storage-tree.js';
import { groupMembership } from '../resolve.js';
import type { IdentityStore } from '../store.js';
import { ENFORCEMENT_PREFIX, enforcementKey, METHOD_PREFIX, methodKey, secretKey, type LoginEnforcement, type TotpMethod, type TotpSecret } from './model.js';

export class MfaStore {
  private methods = new Map<string, TotpMethod>();
  private enforcements = new Map<string, LoginEnforcement>();

  constructor(
    private readonly storage: Storage,
    readonly logger: Logger,
    readonly identity: IdentityStore,
  ) {}

  /** Loads methods and enforcements; called at unseal, after the identity store. */
  async setup(): Promise<void> {
    const methods = new Map<string, TotpMethod>();
    for (const id of await this.storage.list(METHOD_PREFIX)) {
      const method = await this.readRecord<TotpMethod>(methodKey(id));
      if (method !== undefined) methods.set(method.id, method);
    }
    const enforcements = new Map<string, LoginEnforcement>();
    for (const name of await this.storage.list(ENFORCEMENT_PREFIX)) {
      const enforcement = await this.readRecord<LoginEnforcement>(enforcementKey(name));
      if (enforcement !== undefined) enforcements.set(enforcement.name, enforcement);
    }
    this.methods = methods;
    this.enforcements = enforcements;
    this.logger.info({ methods: methods.size, enforcements: enforcements.size }, 'login mfa configuration loaded');
  }

  teardown(): void {
    this.methods = new Map();
    this.enforcements = new Map();
  }

  method(id: string): TotpMethod | undefined {
    return this.methods.get(id);
  }

  /** Finds a method by ID, or by `method_name` when no ID matches. */
  methodByIdOrName(key: string): TotpMethod | undefined {
    return this.methods.get(key) ?? [...this.methods.values()].find((method) => method.name !== '' && method.name === key);
  }

  listMethods(): TotpMethod[] {
    return [...this.methods.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async putMethod(method: TotpMethod): Promise<void> {
    await this.storage.put({ key: methodKey(method.id), value: Buffer.from(JSON.stringify(method)) });
    this.methods.set(method.id, method);
  }

  /** Deletes a method and every entity's key for it. */
  async deleteMethod(id: string): Promise<void> {
    await this.storage.delete(methodKey(id));
    this.methods.delete(id);
    await deleteTree(this.storage, secretKey(id, ''));
  }

  enforcement(name: string): LoginEnforcement | undefined {
    return this.enforcements.get(name);
  }

  listEnforcements(): LoginEnforcement[] {
    return [...this.enforcements.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async putEnforcement(enforcement: LoginEnforcement): Promise<void> {
    await this.storage.put({ key: enforcementKey(enforcement.name), value: Buffer.from(JSON.stringify(enforcement)) });
    this.enforcements.set(enforcement.name, enforcement);
  }

  async deleteEnforcement(name: string): Promise<void> {
    await this.storage.delete(enforcementKey(name));
    this.enforcements.delete(name);
  }

  /** Returns the enforcements that use the method, to refuse deleting a method in use. */
  enforcementsUsing(methodId: string): LoginEnforcement[] {
    return this.listEnforcements().filter((enforcement) => enforcement.methodIds.includes(methodId));
  }

  get hasEnforcements(): boolean {
    return this.enforcements.size > 0;
  }

  /**
   * Returns the enforcements that apply to a login through the auth mount
   * with `accessor` and `type` by the entity `entityId`. The targets of one
   * enforcement are alternatives, as in Vault: a match on the mount
   * accessor, the mount type, the entity or one of its groups, direct or
   * inherited, is enough. An enforcement that lists an entity since merged
   * into this one matches too, so that a merge does not drop MFA from the
   * merged entity's logins. (Vault compares the current entity ID only.)
   */
  matchingEnforcements(accessor: string, type: string, entityId: string): LoginEnforcement[] {
    const { direct, inherited } = groupMembership(this.identity.records, entityId);
    const groupIds = new Set([...direct, ...inherited].map((group) => group.id));
    const entityIds = new Set([entityId, ...(this.identity.records.entity(entityId)?.mergedEntityIds ?? [])]);
    return this.listEnforcements().filter(
      (enforcement) =>
        enforcement.authMethodAccessors.includes(accessor) ||
        enforcement.authMethodTypes.includes(type) ||
        enforcement.identityEntityIds.some((id) => entityIds.has(id)) ||
        enforcement.identityGroupIds.some((id) => groupIds.has(id)),
    );
  }

  async readSecret(methodId: string, entityId: string): Promise<TotpSecret | undefined> {
    return this.readRecord<TotpSecret>(secretKey(methodId, entityId));
  }

  async putSecret(methodId: string, entityId: string, secret: TotpSecret): Promise<void> {
    await this.storage.put({ key: secretKey(methodId, entityId), value: Buffer.from(JSON.stringify(secret)) });
  }

  async deleteSecret(methodId: string, entityId: string): Promise<void> {
    await this.storage.delete(secretKey(methodId, entityId));
  }

  private async readRecord<T>(key: string): Promise<T | undefined> {
    const entry = await this.storage.get(key);
    return entry === null ? undefined : (parseJson(entry.value.toString()) as T);
  }
}
