/**
 * The supervisor: which plugin process serves which mount. Mounts of the
 * same catalog entry share one process when the plugin supports
 * multiplexing; otherwise each mount gets its own. The devices of an audit
 * plugin share one process, and so do the connections of a database plugin.
 * A process stops when its last mount, device or connection is released.
 */
import { createHash } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { callUnary, MULTIPLEX_ID_METADATA_KEY, type AuditDevice, type LogicalBackend } from '@coffer/sdk';
import { ExternalAuditDevice } from './audit-device.js';
import type { CatalogEntry } from './catalog.js';
import { ExternalBackend } from './client-backend.js';
import { ExternalDatabase } from './database-client.js';
import { MountSession, PluginProcess, type MountBinding, type ProcessContext } from './plugin-process.js';

/** How long the plugin's Cleanup may take when a mount is released, in milliseconds. */
const CLEANUP_CALL_MS = 5000;

export class PluginSupervisor {
  /** Processes by catalog entry identity; a changed entry gets new processes. */
  private readonly processes = new Map<string, PluginProcess[]>();

  constructor(private readonly context: ProcessContext) {}

  /**
   * Starts or reuses a process for `entry` and sets up the mount's backend
   * instance in it. A process that serves only mounts being replaced (see
   * {@link markReplaced}) is not reused, so that reloading every mount of a
   * process starts a new one while the old one still serves.
   * @throws PluginLaunchError when the process cannot be started, and the
   *   plugin's Setup error (400) when the backend cannot be created.
   */
  async attach(entry: CatalogEntry, binding: MountBinding): Promise<ExternalBackend> {
    const process = await this.processFor(entry);
    const session = new MountSession(binding, process);
    process.sessions.set(session.id, session);
    try {
      await process.setUp(session);
    } catch (err) {
      process.sessions.delete(session.id);
      if (process.idle) await this.stopProcess(process);
      throw err;
    }
    const backendType = entry.type === 'auth' ? 'credential' : 'logical';
    return new ExternalBackend(backendType, session, this, this.context.logger);
  }

  /** Calls the plugin's Cleanup for the mount and stops the process once it serves no mount. */
  async detach(session: MountSession): Promise<void> {
    if (session.detached) return;
    session.detached = true;
    const process = session.process;
    process.sessions.delete(session.id);
    try {
      const connection = await process.ready();
      await callUnary(connection.backend, 'Cleanup', {}, { metadata: session.metadata(), deadline: Date.now() + CLEANUP_CALL_MS });
    } catch (err) {
      this.context.logger.warn({ err, plugin: process.entry.name, mount: session.binding.path }, 'plugin cleanup failed');
    }
    session.broker?.close();
    if (process.idle) await this.stopProcess(process);
  }

  /**
   * Starts or reuses a process for the audit plugin `entry` and opens the
   * device `uuid` in it with `options`.
   * @throws PluginLaunchError when the process cannot be started, and an
   *   Error with the plugin's message when it rejects the options.
   */
  async attachAudit(entry: CatalogEntry, device: { path: string; uuid: string; options: Record<string, string> }): Promise<AuditDevice> {
    const process = await this.processFor(entry);
    process.auditDevices.add(device.uuid);
    const metadata = auditMetadata(device.uuid);
    let connection;
    try {
      connection = await process.ready();
      await callUnary(connection.audit, 'Create', { options: device.options }, { metadata, deadline: Date.now() + this.context.startTimeoutMs });
    } catch (err) {
      process.auditDevices.delete(device.uuid);
      if (process.idle) await this.stopProcess(process);
      throw new Error(`plugin "${entry.name}" could not open the device: ${(err as { details?: string }).details ?? (err as Error).message}`);
    }
    return new ExternalAuditDevice(process, metadata, device.path, device.options, connection, () => this.detachAudit(process, device.uuid));
  }

  /**
   * Starts or reuses a process for the database plugin `entry` and returns a
   * connection object `id` in it; the caller initializes it.
   * @throws PluginLaunchError when the process cannot be started.
   */
  async attachDatabase(entry: CatalogEntry, id: string): Promise<ExternalDatabase> {
    const process = await this.processFor(entry, true);
    process.databaseConnections.add(id);
    return new ExternalDatabase(process, id, async () => {
      if (!process.databaseConnections.delete(id)) return;
      if (process.idle) await this.stopProcess(process);
    });
  }

  /** Forgets an audit device and stops the process once it serves nothing. */
  private async detachAudit(process: PluginProcess, uuid: string): Promise<void> {
    if (!process.auditDevices.delete(uuid)) return;
    if (process.idle) await this.stopProcess(process);
  }

  /** Returns the IDs of the running processes of a catalog name, for diagnostics and tests. */
  pids(name: string): number[] {
    const pids: number[] = [];
    for (const list of this.processes.values()) {
      for (const process of list) if (process.entry.name === name && process.pid !== undefined && process.running) pids.push(process.pid);
    }
    return pids;
  }

  /** Stops every process, e.g. when the server seals or closes. */
  async stopAll(): Promise<void> {
    const all = [...this.processes.values()].flat();
    this.processes.clear();
    await Promise.all(all.map((process) => process.stop()));
  }

  /**
   * Returns a running process of `entry`: a multiplexed one already running,
   * or a new one. `shared` reuses any running process, for plugins whose
   * service names its instance in every call, as Coffer's database service does.
   */
  private async processFor(entry: CatalogEntry, shared = false): Promise<PluginProcess> {
    const key = identity(entry);
    for (const candidate of this.processes.get(key) ?? []) {
      if (!candidate.usable || servesOnlyReplaced(candidate)) continue;
      try {
        await candidate.ready();
      } catch {
        continue;
      }
      if (candidate.multiplexed || shared) return candidate;
    }
    const created = new PluginProcess(entry, this.context);
    this.processes.set(key, [...(this.processes.get(key) ?? []), created]);
    try {
      await created.ready();
    } catch (err) {
      await this.stopProcess(created);
      throw err;
    }
    return created;
  }

  private async stopProcess(process: PluginProcess): Promise<void> {
    const key = identity(process.entry);
    const remaining = (this.processes.get(key) ?? []).filter((existing) => existing !== process);
    if (remaining.length > 0) this.processes.set(key, remaining);
    else this.processes.delete(key);
    await process.stop();
  }
}

/**
 * Marks the mount of `backend`, if it is an external plugin's, as being
 * replaced, and returns the function that clears the mark again.
 */
export function markReplaced(backend: LogicalBackend): () => void {
  if (!(backend instanceof ExternalBackend)) return () => {};
  const session = backend.session;
  session.replaced = true;
  return () => {
    session.replaced = false;
  };
}

/** True when every mount of `process` is being replaced: a new mount must not join it. */
function servesOnlyReplaced(process: PluginProcess): boolean {
  if (process.sessions.size === 0) return false;
  for (const session of process.sessions.values()) if (!session.replaced) return false;
  return true;
}

/** Builds the call metadata that selects an audit device in the plugin. */
function auditMetadata(uuid: string): Metadata {
  const metadata = new Metadata();
  metadata.set(MULTIPLEX_ID_METADATA_KEY, uuid);
  return metadata;
}

/** Everything about an entry that changes what is executed. */
function identity(entry: CatalogEntry): string {
  return createHash('sha256').update(JSON.stringify([entry.type, entry.name, entry.version, entry.command, entry.args, entry.env, entry.sha256])).digest('hex');
}

