/**
 * Enabling, tuning, moving and disabling secrets engine mounts. Each change
 * is persisted to the mount table before the router sees it, so a crash
 * never leaves a route without its table entry.
 */
import {
  badRequest,
  StorageView,
  type LogicalBackend,
  type Logger,
  type Storage,
  type SystemView,
} from '@coffer/sdk';
import { builtinSecretsEngines } from '../plugins.js';
import { loadMountTable, newMountEntry, saveMountTable, type MountConfig, type MountEntry, type MountFields } from './mount-table.js';
import { deleteTree } from '../storage-tree.js';
import type { Router } from './router.js';

/** Prefixes that belong to the server's own backends. */
const RESERVED_PREFIXES = ['sys/', 'auth/', 'cubbyhole/', 'identity/'];

interface LeaseDefaults {
  defaultLeaseTtl: number;
  maxLeaseTtl: number;
}

export class MountManager {
  private entries: MountEntry[] = [];

  /** Revokes every lease under a mount path; set by the core once leases exist. */
  revokeLeases: (mountPath: string) => Promise<void> = async () => {};

  constructor(
    private readonly barrier: Storage,
    private readonly router: Router,
    private readonly logger: Logger,
    private readonly defaults: LeaseDefaults,
  ) {}

  /** Writes an empty mount table for a new server. */
  async createDefaultTable(): Promise<void> {
    await saveMountTable(this.barrier, []);
  }

  /** Loads the mount table and starts every backend in it. */
  async setup(): Promise<void> {
    this.entries = (await loadMountTable(this.barrier)) ?? [];
    for (const entry of this.entries) {
      const backend = await this.createBackend(entry);
      this.router.add(entry, backend, mountStorage(this.barrier, entry.uuid));
    }
  }

  /** Stops every backend and empties the router. */
  async teardown(): Promise<void> {
    for (const route of this.router.all()) {
      try {
        await route.backend.cleanup?.();
      } catch (err) {
        this.logger.error({ err, mount: route.mount.path }, 'backend cleanup failed');
      }
    }
    this.router.clear();
    this.entries = [];
  }

  list(): readonly MountEntry[] {
    return this.entries;
  }

  find(path: string): MountEntry | undefined {
    return this.entries.find((entry) => entry.path === normalizeMountPath(path));
  }

  async enable(path: string, type: string, fields: MountFields): Promise<MountEntry> {
    const mountPath = this.checkNewPath(path);
    const entry = newMountEntry(mountPath, type, fields);
    const backend = await this.createBackend(entry);

    await saveMountTable(this.barrier, [...this.entries, entry]);
    this.entries = [...this.entries, entry];
    this.router.add(entry, backend, mountStorage(this.barrier, entry.uuid));
    this.logger.info({ path: mountPath, type, accessor: entry.accessor }, 'mount enabled');
    return entry;
  }

  /** Disables a mount and deletes its data. A missing mount is not an error, as in Vault. */
  async disable(path: string): Promise<void> {
    const mountPath = normalizeMountPath(path);
    if (isReserved(mountPath)) throw badRequest(`cannot unmount "${mountPath}": it is a system mount`);
    const entry = this.find(mountPath);
    if (entry === undefined) return;

    // Revoke the mount's leases while its backend can still revoke them.
    await this.revokeLeases(mountPath);
    await saveMountTable(this.barrier, this.entries.filter((existing) => existing !== entry));
    this.entries = this.entries.filter((existing) => existing !== entry);
    const route = this.router.remove(mountPath);
    try {
      await route?.backend.cleanup?.();
    } catch (err) {
      this.logger.error({ err, mount: mountPath }, 'backend cleanup failed');
    }
    await deleteTree(mountStorage(this.barrier, entry.uuid), '');
    this.logger.info({ path: mountPath, type: entry.type }, 'mount disabled');
  }

  /** Changes a mount's config, description or options. */
  async tune(path: string, change: { config?: Partial<MountConfig>; description?: string; options?: Record<string, string> }): Promise<MountEntry> {
    const entry = this.find(path);
    if (entry === undefined) throw badRequest(`no mount at "${normalizeMountPath(path)}"`);

    const tuned: MountEntry = {
      ...entry,
      config: { ...entry.config, ...change.config },
      description: change.description ?? entry.description,
      options: { ...entry.options, ...change.options },
    };
    const versionChanged = tuned.options.version !== entry.options.version;
    if (versionChanged && entry.type === 'kv' && !(entry.options.version !== '2' && tuned.options.version === '2')) {
      throw badRequest(`invalid option "version" "${tuned.options.version}": a kv mount can only be upgraded from version 1 to 2`);
    }
    await this.replace(entry, tuned, versionChanged);
    return tuned;
  }

  /** Moves a mount to a new path; its data stays, since storage is keyed by UUID. */
  async move(from: string, to: string): Promise<MountEntry> {
    const entry = this.find(from);
    if (entry === undefined) throw badRequest(`no mount at "${normalizeMountPath(from)}"`);
    const toPath = normalizeMountPath(to);
    if (toPath === entry.path) throw badRequest(`invalid "to" "${to}": the mount is already at that path`);
    this.checkNewPath(toPath, entry.path);
    // Lease IDs carry the mount path, so leases cannot follow the mount.
    await this.revokeLeases(entry.path);
    const moved = { ...entry, path: toPath };
    await this.replace(entry, moved, true);
    this.logger.info({ from: entry.path, to: toPath }, 'mount moved');
    return moved;
  }

  /** Lease TTLs for a mount, falling back to the server's. */
  systemView(entry: MountEntry): SystemView {
    return {
      defaultLeaseTtl: () => entry.config.defaultLeaseTtl || this.defaults.defaultLeaseTtl,
      maxLeaseTtl: () => entry.config.maxLeaseTtl || this.defaults.maxLeaseTtl,
    };
  }

  private async replace(old: MountEntry, updated: MountEntry, restartBackend: boolean): Promise<void> {
    const entries = this.entries.map((existing) => (existing === old ? updated : existing));
    await saveMountTable(this.barrier, entries);
    this.entries = entries;

    const route = this.router.remove(old.path);
    let backend: LogicalBackend | undefined = route?.backend;
    if (restartBackend || backend === undefined) {
      await route?.backend.cleanup?.();
      backend = await this.createBackend(updated);
    }
    this.router.add(updated, backend, mountStorage(this.barrier, updated.uuid));
  }

  private checkNewPath(path: string, movingFrom?: string): string {
    const mountPath = normalizeMountPath(path);
    if (mountPath === '/' || mountPath.includes('//')) throw badRequest(`invalid mount path "${path}"`);
    if (isReserved(mountPath)) {
      throw badRequest(`cannot mount at "${mountPath}": paths under ${RESERVED_PREFIXES.join(', ')} are reserved`);
    }
    const conflict = this.router.conflict(mountPath, movingFrom);
    if (conflict !== undefined) throw badRequest(`path is already in use at ${conflict}`);
    return mountPath;
  }

  private async createBackend(entry: MountEntry): Promise<LogicalBackend> {
    const plugin = builtinSecretsEngines.get(entry.type);
    if (plugin === undefined) throw badRequest(`plugin not found in the catalog: ${entry.type}`);
    const backend = await plugin.factory({
      storage: mountStorage(this.barrier, entry.uuid),
      logger: this.logger.child({ mount: entry.path, type: entry.type }),
      system: this.systemView(entry),
      options: entry.options,
      mountPoint: entry.path,
    });
    await backend.initialize?.();
    return backend;
  }
}

export function normalizeMountPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '');
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

function isReserved(mountPath: string): boolean {
  return RESERVED_PREFIXES.some((prefix) => mountPath.startsWith(prefix) || prefix.startsWith(mountPath));
}

function mountStorage(barrier: Storage, uuid: string): StorageView {
  return new StorageView(barrier, `logical/${uuid}/`);
}
