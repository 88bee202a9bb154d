/**
 * The host's services on the plugin side: the mount's storage and the system
 * view, called over the brokered connection made at Setup.
 */
import * as grpc from '@grpc/grpc-js';
import { badRequest, internalError } from '../errors.js';
import type { IdentityEntity, IdentityGroup, SystemView } from '../logical.js';
import type { Storage, StorageEntry } from '../storage.js';
import { entityFromWire, groupFromWire } from './identity-wire.js';
import type { WireEntityInfoReply, WireGroupsForEntityReply, WireStorageEntry } from './messages.js';
import { callUnary } from './protocol.js';
import { nanosecondsToSeconds } from './wire.js';

/** The mount's storage on the host. Keys are relative to the mount. */
export class RemoteStorage implements Storage {
  constructor(private readonly client: grpc.Client) {}

  async get(key: string): Promise<StorageEntry | null> {
    const reply = await callUnary<{ entry?: WireStorageEntry | null; err?: string }>(this.client, 'Get', { key });
    if (reply.err !== undefined && reply.err !== '') throw new Error(`storage get of "${key}" failed: ${reply.err}`);
    if (reply.entry === null || reply.entry === undefined) return null;
    return { key, value: reply.entry.value ?? Buffer.alloc(0) };
  }

  async put(entry: StorageEntry): Promise<void> {
    const reply = await callUnary<{ err?: string }>(this.client, 'Put', { entry: { key: entry.key, value: entry.value } });
    if (reply.err !== undefined && reply.err !== '') throw new Error(`storage put of "${entry.key}" failed: ${reply.err}`);
  }

  async delete(key: string): Promise<void> {
    const reply = await callUnary<{ err?: string }>(this.client, 'Delete', { key });
    if (reply.err !== undefined && reply.err !== '') throw new Error(`storage delete of "${key}" failed: ${reply.err}`);
  }

  async list(prefix: string): Promise<string[]> {
    const reply = await callUnary<{ keys?: string[]; err?: string }>(this.client, 'List', { prefix });
    if (reply.err !== undefined && reply.err !== '') throw new Error(`storage list of "${prefix}" failed: ${reply.err}`);
    return reply.keys ?? [];
  }
}

/**
 * How long fetched lease TTLs are served before the next request fetches
 * them again, so that a tuned mount is seen within about a second without
 * two extra calls per request.
 */
const SYSTEM_VIEW_MAX_AGE_MS = 1000;

/**
 * The system view on the host. The SDK's `SystemView` is synchronous, so
 * the values are fetched at Setup and refreshed before a request once they
 * are older than a second.
 */
export class RemoteSystemView implements SystemView {
  private defaultTtl = 0;
  private maxTtl = 0;
  private fetchedAt = 0;

  constructor(private readonly client: grpc.Client) {}

  defaultLeaseTtl(): number {
    return this.defaultTtl;
  }

  maxLeaseTtl(): number {
    return this.maxTtl;
  }

  /**
   * Requests a password from the host's password policy `policyName`.
   * @throws CofferError (400) when the host rejects the name, and (500) for
   *   any other failure, each with the host's message.
   */
  async generatePasswordFromPolicy(policyName: string): Promise<string> {
    let reply: { password?: string };
    try {
      reply = await callUnary<{ password?: string }>(this.client, 'GeneratePasswordFromPolicy', { policy_name: policyName });
    } catch (err) {
      const { code, details } = err as Partial<grpc.ServiceError>;
      const message = details ?? (err instanceof Error ? err.message : String(err));
      if (code === grpc.status.INVALID_ARGUMENT) throw badRequest(message);
      throw internalError(`failed to generate a password from policy "${policyName}": ${message}`);
    }
    // An empty password would be set on the database as is, so it fails closed.
    if (reply.password === undefined || reply.password === '') throw internalError(`the host returned an empty password for policy "${policyName}"`);
    return reply.password;
  }

  /**
   * Asks the host to render an identity template for the entity `entityId`.
   * @throws CofferError (400) when the host rejects the template, and (500)
   *   for any other failure, each with the host's message.
   */
  async renderIdentityTemplate(template: string, entityId: string): Promise<string | undefined> {
    let reply: { rendered?: string; resolved?: boolean };
    try {
      reply = await callUnary<{ rendered?: string; resolved?: boolean }>(this.client, 'RenderIdentityTemplate', { template, entity_id: entityId });
    } catch (err) {
      const { code, details } = err as Partial<grpc.ServiceError>;
      const message = details ?? (err instanceof Error ? err.message : String(err));
      if (code === grpc.status.INVALID_ARGUMENT) throw badRequest(message);
      throw internalError(`failed to render identity template "${template}": ${message}`);
    }
    return reply.resolved === true ? (reply.rendered ?? '') : undefined;
  }

  /**
   * Asks the host for the entity `entityId`.
   * @throws CofferError (500) when the call fails or the host reports an
   *   error, with the host's message.
   */
  async entityInfo(entityId: string): Promise<IdentityEntity | undefined> {
    const reply = await this.identityCall<WireEntityInfoReply>('EntityInfo', entityId, 'look up entity');
    return entityFromWire(reply.entity);
  }

  /**
   * Asks the host for the groups of the entity `entityId`.
   * @throws CofferError (500) when the call fails or the host reports an
   *   error, with the host's message.
   */
  async groupsForEntity(entityId: string): Promise<IdentityGroup[]> {
    const reply = await this.identityCall<WireGroupsForEntityReply>('GroupsForEntity', entityId, 'look up the groups of entity');
    return (reply.groups ?? []).map(groupFromWire);
  }

  /**
   * Calls an identity method of the host. A host reports its failures in
   * the reply's `err` field, as Vault's does. Either kind of failure fails
   * closed, so a backend never reads a missing entity as one without groups.
   */
  private async identityCall<Reply extends { err?: string }>(method: string, entityId: string, action: string): Promise<Reply> {
    let reply: Reply;
    try {
      reply = await callUnary<Reply>(this.client, method, { entity_id: entityId });
    } catch (err) {
      const { details } = err as Partial<grpc.ServiceError>;
      throw internalError(`failed to ${action} "${entityId}": ${details ?? (err instanceof Error ? err.message : String(err))}`);
    }
    if (reply.err !== undefined && reply.err !== '') throw internalError(`failed to ${action} "${entityId}": ${reply.err}`);
    return reply;
  }

  /** Fetches the TTLs again when they are stale, or always when `force` is set. */
  async refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.fetchedAt < SYSTEM_VIEW_MAX_AGE_MS) return;
    const [defaultReply, maxReply] = await Promise.all([
      callUnary<{ ttl?: number }>(this.client, 'DefaultLeaseTTL', {}),
      callUnary<{ ttl?: number }>(this.client, 'MaxLeaseTTL', {}),
    ]);
    this.defaultTtl = nanosecondsToSeconds(defaultReply.ttl);
    this.maxTtl = nanosecondsToSeconds(maxReply.ttl);
    this.fetchedAt = Date.now();
  }
}
