/**
 * The host's services for one mount of an external plugin, served on the
 * broker ID the host passes to the plugin's Setup: the mount's storage view
 * and its system view.
 */
import * as grpc from '@grpc/grpc-js';
import {
  entityToWire,
  groupToWire,
  isCofferError,
  secondsToNanoseconds,
  unaryHandler,
  validateStorageKey,
  type Storage,
  type SystemView,
  type WireEntityInfoReply,
  type WireGroupsForEntityReply,
  type WireStorageEntry,
} from '@coffer/sdk';
import { COFFER_VERSION } from '../version.js';
import { REPORTED_VAULT_VERSION } from './runner.js';

/** The services the host offers one mount. */
export interface MountHostServices {
  /** The mount's own storage view; keys are relative to the mount. */
  storage: Storage;
  system: SystemView;
  /** Whether the mount is local to this cluster. */
  local: boolean;
  clusterInfo(): { name: string; id: string };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function checkPrefix(prefix: string): string | null {
  if (prefix === '') return null;
  if (!prefix.endsWith('/')) return `list prefix "${prefix}" must be empty or end with "/"`;
  return validateStorageKey(prefix.slice(0, -1));
}

/**
 * Builds the `pb.Storage` handlers. Every key from the plugin is checked the way
 * storage backends check keys, so that none can leave the mount's view.
 * Failures are returned in the reply's `err` field, as Vault's host does,
 * not as gRPC errors.
 */
export function storageService(storage: Storage): grpc.UntypedServiceImplementation {
  return {
    Get: unaryHandler(async (args: { key?: string }) => {
      const key = args.key ?? '';
      const problem = validateStorageKey(key);
      if (problem !== null) return { err: problem };
      try {
        const entry = await storage.get(key);
        return { entry: entry === null ? null : ({ key, value: entry.value } satisfies WireStorageEntry) };
      } catch (err) {
        return { err: errorText(err) };
      }
    }),
    Put: unaryHandler(async (args: { entry?: WireStorageEntry | null }) => {
      const key = args.entry?.key ?? '';
      const problem = validateStorageKey(key);
      if (problem !== null) return { err: problem };
      try {
        await storage.put({ key, value: args.entry?.value ?? Buffer.alloc(0) });
        return { err: '' };
      } catch (err) {
        return { err: errorText(err) };
      }
    }),
    Delete: unaryHandler(async (args: { key?: string }) => {
      const key = args.key ?? '';
      const problem = validateStorageKey(key);
      if (problem !== null) return { err: problem };
      try {
        await storage.delete(key);
        return { err: '' };
      } catch (err) {
        return { err: errorText(err) };
      }
    }),
    List: unaryHandler(async (args: { prefix?: string }) => {
      const prefix = args.prefix ?? '';
      const problem = checkPrefix(prefix);
      if (problem !== null) return { err: problem };
      try {
        return { keys: await storage.list(prefix) };
      } catch (err) {
        return { err: errorText(err) };
      }
    }),
  };
}

/** Builds the `pb.SystemView` handlers. TTLs are sent in nanoseconds. */
export function systemViewService(services: MountHostServices): grpc.UntypedServiceImplementation {
  return {
    DefaultLeaseTTL: unaryHandler(async () => ({ ttl: secondsToNanoseconds(services.system.defaultLeaseTtl()) })),
    MaxLeaseTTL: unaryHandler(async () => ({ ttl: secondsToNanoseconds(services.system.maxLeaseTtl()) })),
    Tainted: unaryHandler(async () => ({ tainted: false })),
    CachingDisabled: unaryHandler(async () => ({ disabled: false })),
    ReplicationState: unaryHandler(async () => ({ state: 0 })),
    // Node.js cannot lock its memory, so the host always reports mlock as off.
    MlockEnabled: unaryHandler(async () => ({ enabled: false })),
    LocalMount: unaryHandler(async () => ({ local: services.local })),
    PluginEnv: unaryHandler(async () => ({
      plugin_environment: { vault_version: REPORTED_VAULT_VERSION, vault_version_metadata: `coffer-${COFFER_VERSION}` },
    })),
    ClusterInfo: unaryHandler(async () => {
      const info = services.clusterInfo();
      return { cluster_name: info.name, cluster_id: info.id };
    }),
    GeneratePasswordFromPolicy: unaryHandler(async (args: { policy_name?: string }) => ({
      password: await generatePasswordFromPolicy(services.system, args.policy_name ?? ''),
    })),
    EntityInfo: unaryHandler(async (args: { entity_id?: string }) => entityInfoReply(services.system, args.entity_id ?? '')),
    GroupsForEntity: unaryHandler(async (args: { entity_id?: string }) => groupsForEntityReply(services.system, args.entity_id ?? '')),
    RenderIdentityTemplate: unaryHandler(async (args: { template?: string; entity_id?: string }) => {
      const rendered = await renderIdentityTemplate(services.system, args.template ?? '', args.entity_id ?? '');
      return rendered === undefined ? { rendered: '', resolved: false } : { rendered, resolved: true };
    }),
  };
}

/**
 * Generates a password for the plugin. Failures become gRPC errors, as in
 * Vault: INVALID_ARGUMENT for the caller's mistakes (a 400), INTERNAL for
 * the rest, each with the server's message.
 */
async function generatePasswordFromPolicy(system: SystemView, policyName: string): Promise<string> {
  try {
    if (system.generatePasswordFromPolicy === undefined) throw new Error('this mount has no password policies');
    return await system.generatePasswordFromPolicy(policyName);
  } catch (err) {
    const code = isCofferError(err) && err.status === 400 ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL;
    throw Object.assign(new Error(errorText(err)), { code });
  }
}

/**
 * Renders an identity template for the plugin. A malformed template is
 * INVALID_ARGUMENT (a 400 in the plugin); anything else is INTERNAL.
 */
async function renderIdentityTemplate(system: SystemView, template: string, entityId: string): Promise<string | undefined> {
  try {
    if (system.renderIdentityTemplate === undefined) throw new Error('this mount cannot render identity templates');
    return await system.renderIdentityTemplate(template, entityId);
  } catch (err) {
    const code = isCofferError(err) && err.status === 400 ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL;
    throw Object.assign(new Error(errorText(err)), { code });
  }
}

/**
 * Looks up an entity for the plugin. As in Vault, a failure goes in the
 * reply's `err` field rather than a gRPC status, and an unknown ID is an
 * unset entity with no error.
 */
async function entityInfoReply(system: SystemView, entityId: string): Promise<WireEntityInfoReply> {
  try {
    if (system.entityInfo === undefined) return { err: 'this mount cannot look up identity entities' };
    const entity = await system.entityInfo(entityId);
    return { entity: entity === undefined ? null : entityToWire(entity) };
  } catch (err) {
    return { err: errorText(err) };
  }
}

/** Looks up an entity's groups for the plugin; failures go in `err`, as in Vault. */
async function groupsForEntityReply(system: SystemView, entityId: string): Promise<WireGroupsForEntityReply> {
  try {
    if (system.groupsForEntity === undefined) return { err: 'this mount cannot look up identity groups' };
    return { groups: (await system.groupsForEntity(entityId)).map(groupToWire) };
  } catch (err) {
    return { err: errorText(err) };
  }
}
