/**
 * Enabling, tuning, moving and disabling mounts of secrets engines or auth
 * methods. Each change is persisted to the mount table before the router
 * changes, so a crash never leaves a route without its table entry.
 */
import {
  badRequest,
  KeyedLock,
  StorageView,
  type BackendConfig,
  type LogicalBackend,
  type Logger,
  type Storage,
  type SystemView,
} from '@coffer/sdk';
import { loadMountTable, newMountEntry, saveMountTable, type MountConfig, type MountEntry, type MountFields } from './mount-table.js';
import { deleteTree } from '../storage-tree.js';
import type { Router } from './router.js';

/** The table a manager keeps: secrets engines at the root, or auth methods under `auth/`. */
export interface MountKind {
  /** Storage key of the table, behind the barrier. */
  tablePath: string;
  /** Prefix of the routes, e.g. `auth/`; empty for secrets engines. */
  routePrefix: string;
  /** Prefix of each mount's storage, followed by its UUID. */
  storagePrefix: string;
  /** Mount paths, relative to the route prefix, that belong to the server itself. */
  reserved: string[];
  plugins: ReadonlyMap<string, { factory(config: BackendConfig): Promise<LogicalBackend> }>;
  /**
   * Resolves a type that is not built in, or any type pinned to a
   * `pluginVersion`, e.g. from the external plugin catalog; `undefined` when
   * unknown. `loading` is true while the table is set up at unseal.
   */
  external?: (entry: MountEntry, loading: boolean) => Promise<{ factory(config: BackendConfig): Promise<LogicalBackend> } | undefined>;
  /** Opens a database plugin for the database engine; see `SystemView.openDatabase`. */
  openDatabase?: SystemView['openDatabase'];
}

/** The settings of a mount that a tune may change. */
type TuneChange = {
  config?: Partial<MountConfig>;
  description?: string;
  options?: Record<string, string>;
  /** A validator of the tuned entry that throws to reject it. It runs after every earlier change is saved. */
  check?: (tuned: MountEntry) => void;
};

interface LeaseDefaults {
  defaultLeaseTtl: number;
  maxLeaseTtl: number;
}

export class MountManager {
  private entries: MountEntry[] = [];
  /**
   * Serializes changes to the table: each one checks and rewrites the whole
   * table across storage calls, so two at once could lose one of them.
   */
  private readonly changes = new KeyedLock();

  /** Revokes every lease under a mount path; set by the core once leases exist. */
  revokeLeases: (mountPath: string) => Promise<void> = async () => {};

  constructor(
    private readonly kind: MountKind,
    private readonly barrier: Storage,
    private readonly router: Router,
    private readonly logger: Logger,
    private readonly defaults: LeaseDefaults,
  ) {}

  /** Writes an empty mount table for a new server. */
  async createDefaultTable(): Promise<void> {
    await saveMountTable(this.barrier, this.kind.tablePath, []);
  }

  /** Loads the mount table and starts every backend in it. */
  async setup(): Promise<void> {
    this.entries = (await loadMountTable(this.barrier, this.kind.tablePath)) ?? [];
    for (const entry of this.entries) {
      const backend = await this.createBackend(entry, true);
      this.addRoute(entry, backend);
    }
  }

  /** Stops every backend of this table and removes its routes. */
  async teardown(): Promise<void> {
    for (const entry of this.entries) {
      const route = this.router.remove(this.kind.routePrefix + entry.path);
      try {
        await route?.backend.cleanup?.();
      } catch (err) {
        this.logger.error({ err, mount: entry.path }, 'backend cleanup failed');
      }
    }
    this.entries = [];
  }

  list(): readonly MountEntry[] {
    return this.entries;
  }

  find(path: string): MountEntry | undefined {
    return this.entries.find((entry) => entry.path === normalizeMountPath(path));
  }

  enable(path: string, type: string, fields: MountFields): Promise<MountEntry> {
    return this.changeTable(() => this.enableNow(path, type, fields));
  }

  private async enableNow(path: string, type: string, fields: MountFields): Promise<MountEntry> {
    const mountPath = this.checkNewPath(path);
    const entry = newMountEntry(mountPath, type, fields);
    const backend = await this.createBackend(entry);

    await saveMountTable(this.barrier, this.kind.tablePath, [...this.entries, entry]);
    this.entries = [...this.entries, entry];
    this.addRoute(entry, backend);
    this.logger.info({ path: mountPath, type, accessor: entry.accessor }, 'mount enabled');
    return entry;
  }

  /** Disables a mount and deletes its data. A missing mount is not an error, as in Vault. */
  disable(path: string): Promise<void> {
    return this.changeTable(() => this.disableNow(path));
  }

  private async disableNow(path: string): Promise<void> {
    const mountPath = normalizeMountPath(path);
    if (this.isReserved(mountPath)) throw badRequest(`cannot unmount "${mountPath}": it is a system mount`);
    const entry = this.find(mountPath);
    if (entry === undefined) return;

    // Revoke the mount's leases while its backend can still revoke them.
    await this.revokeLeases(this.kind.routePrefix + mountPath);
    await saveMountTable(this.barrier, this.kind.tablePath, this.entries.filter((existing) => existing !== entry));
    this.entries = this.entries.filter((existing) => existing !== entry);
    const route = this.router.remove(this.kind.routePrefix + mountPath);
    try {
      await route?.backend.cleanup?.();
    } catch (err) {
      this.logger.error({ err, mount: mountPath }, 'backend cleanup failed');
    }
    await deleteTree(this.mountStorage(entry), '');
    this.logger.info({ path: mountPath, type: entry.type }, 'mount disabled');
  }

  /** Changes a mount's config, description or options. */
  tune(path: string, change: TuneChange): Promise<MountEntry> {
    return this.changeTable(() => this.tuneNow(path, change));
  }

  private async tuneNow(path: string, change: TuneChange): Promise<MountEntry> {
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
    change.check?.(tuned);
    await this.replace(entry, tuned, versionChanged);
    return tuned;
  }

  /**
   * Stops the backends of the mounts at `paths` and starts them again, e.g.
   * after their plugin's catalog entry changed. All are stopped before any
   * starts, so a plugin process that serves only these mounts is replaced.
   * @throws CofferError (400) for a path without a mount, before anything stops.
   */
  async reload(paths: string[]): Promise<void> {
    const entries = paths.map((path) => {
      const entry = this.find(path);
      if (entry === undefined) throw badRequest(`no mount at "${normalizeMountPath(path)}"`);
      return entry;
    });
    for (const entry of entries) {
      try {
        await this.router.get(this.kind.routePrefix + entry.path)?.backend.cleanup?.();
      } catch (err) {
        this.logger.error({ err, mount: entry.path }, 'backend cleanup failed');
      }
    }
    for (const entry of entries) {
      this.addRoute(entry, await this.createBackend(entry));
      this.logger.info({ path: entry.path, type: entry.type }, 'mount reloaded');
    }
  }

  /** Moves a mount to a new path; its data stays, since storage is keyed by UUID. */
  move(from: string, to: string): Promise<MountEntry> {
    return this.changeTable(() => this.moveNow(from, to));
  }

  private async moveNow(from: string, to: string): Promise<MountEntry> {
    const entry = this.find(from);
    if (entry === undefined) throw badRequest(`no mount at "${normalizeMountPath(from)}"`);
    const toPath = normalizeMountPath(to);
    if (toPath === entry.path) throw badRequest(`invalid "to" "${to}": the mount is already at that path`);
    this.checkNewPath(toPath, entry.path);
    // Lease IDs carry the mount path, so leases cannot follow the mount.
    await this.revokeLeases(this.kind.routePrefix + entry.path);
    const moved = { ...entry, path: toPath };
    await this.replace(entry, moved, true);
    this.logger.info({ from: entry.path, to: toPath }, 'mount moved');
    return moved;
  }

  /**
   * Lease TTLs for a mount, falling back to the server's. They are read at
   * each call, because a tune changes them without restarting the backend.
   */
  systemView(entry: MountEntry): SystemView {
    const config = (): MountConfig => (this.entries.find((current) => current.uuid === entry.uuid) ?? entry).config;
    return {
      defaultLeaseTtl: () => config().defaultLeaseTtl || this.defaults.defaultLeaseTtl,
      maxLeaseTtl: () => config().maxLeaseTtl || this.defaults.maxLeaseTtl,
      ...(this.kind.openDatabase === undefined ? {} : { openDatabase: this.kind.openDatabase }),
    };
  }

  private changeTable<T>(task: () => Promise<T>): Promise<T> {
    return this.changes.run(this.kind.tablePath, task);
  }

  private async replace(old: MountEntry, updated: MountEntry, restartBackend: boolean): Promise<void> {
    const entries = this.entries.map((existing) => (existing === old ? updated : existing));
    await saveMountTable(this.barrier, this.kind.tablePath, entries);
    this.entries = entries;

    const route = this.router.remove(this.kind.routePrefix + old.path);
    let backend: LogicalBackend | undefined = route?.backend;
    if (restartBackend || backend === undefined) {
      await route?.backend.cleanup?.();
      backend = await this.createBackend(updated);
    }
    this.addRoute(updated, backend);
  }

  private checkNewPath(path: string, movingFrom?: string): string {
    const mountPath = normalizeMountPath(path);
    const segments = mountPath.slice(0, -1).split('/');
    if (mountPath === '/' || segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
      throw badRequest(`invalid mount path "${path}": segments must not be empty, "." or ".."`);
    }
    // Storage rejects a NUL in the lease keys that start with the mount path, so such a
    // mount could not be disabled. Other control characters garble logs and listings.
    if (/[\u0000-\u001f\u007f]/.test(mountPath)) throw badRequest(`invalid mount path ${JSON.stringify(mountPath)}: remove the control characters`);
    if (this.isReserved(mountPath)) {
      throw badRequest(`cannot mount at "${this.kind.routePrefix}${mountPath}": paths under ${this.kind.reserved.map((prefix) => this.kind.routePrefix + prefix).join(', ')} are reserved`);
    }
    const prefix = this.kind.routePrefix;
    const conflict = this.router.conflict(prefix + mountPath, movingFrom === undefined ? undefined : prefix + movingFrom);
    if (conflict !== undefined) throw badRequest(`path is already in use at ${conflict}`);
    return mountPath;
  }

  private async createBackend(entry: MountEntry, loading = false): Promise<LogicalBackend> {
    const builtin = entry.pluginVersion === '' ? this.kind.plugins.get(entry.type) : undefined;
    const plugin = builtin ?? (await this.kind.external?.(entry, loading));
    if (plugin === undefined) throw badRequest(`plugin not found in the catalog: ${entry.type}`);
    const backend = await plugin.factory({
      storage: this.mountStorage(entry),
      logger: this.logger.child({ mount: this.kind.routePrefix + entry.path, type: entry.type }),
      system: this.systemView(entry),
      options: entry.options,
      mountPoint: this.kind.routePrefix + entry.path,
    });
    try {
      await backend.initialize?.();
    } catch (err) {
      // Release what the factory started, such as an external plugin process.
      await backend.cleanup?.().catch((cleanupErr: unknown) => this.logger.error({ err: cleanupErr, mount: entry.path }, 'backend cleanup failed'));
      throw err;
    }
    return backend;
  }

  private addRoute(entry: MountEntry, backend: LogicalBackend): void {
    this.router.add({ ...entry, path: this.kind.routePrefix + entry.path }, backend, this.mountStorage(entry));
  }

  private mountStorage(entry: MountEntry): StorageView {
    return new StorageView(this.barrier, `${this.kind.storagePrefix}${entry.uuid}/`);
  }

  private isReserved(mountPath: string): boolean {
    return this.kind.reserved.some((prefix) => mountPath.startsWith(prefix) || prefix.startsWith(mountPath));
  }
}

export function normalizeMountPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '');
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

