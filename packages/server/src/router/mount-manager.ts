/**
 * Enabling, tuning, moving and disabling mounts of secrets engines or auth
 * methods. Each change is persisted to the mount table before the router
 * changes, so a crash never leaves a route without its table entry.
 */
import {
  badRequest,
  CofferError,
  KeyedLock,
  StorageView,
  type BackendConfig,
  type LogicalBackend,
  type Logger,
  type Storage,
  type SystemView,
} from '@coffer/sdk';
import { FailedMountBackend, failureReason } from './failed-mount.js';
import { loadMountTable, newMountEntry, saveMountTable, type MountConfig, type MountEntry, type MountFields } from './mount-table.js';
import { markReplaced } from '../plugin/supervisor.js';
import { deleteTree } from '../storage-tree.js';
import type { Router } from './router.js';
import type { RunningPlugin } from '../plugin/external-plugins.js';

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
  external?: (entry: MountEntry, loading: boolean) => Promise<{ factory(config: BackendConfig): Promise<LogicalBackend>; running?: RunningPlugin } | undefined>;
  /** Opens a database plugin for the database engine; see `SystemView.openDatabase`. */
  openDatabase?: SystemView['openDatabase'];
  /** Generates a password from a named password policy; see `SystemView.generatePasswordFromPolicy`. */
  generatePasswordFromPolicy?: SystemView['generatePasswordFromPolicy'];
  /** Renders identity templates with an entity's facts; see `SystemView.renderIdentityTemplate`. */
  renderIdentityTemplate?: SystemView['renderIdentityTemplate'];
  /** Looks up identity entities; see `SystemView.entityInfo`. */
  entityInfo?: SystemView['entityInfo'];
  /** Looks up the groups of identity entities; see `SystemView.groupsForEntity`. */
  groupsForEntity?: SystemView['groupsForEntity'];
}

/** The settings of a mount that a tune may change. */
type TuneChange = {
  config?: Partial<MountConfig>;
  description?: string;
  options?: Record<string, string>;
  /** A validator of the tuned entry that throws to reject it. It runs after every earlier change is saved. */
  check?: (tuned: MountEntry) => void;
};

/** New backends started for mounts whose routes still lead to the old ones. */
export interface PendingReload {
  /** Points the routes at the new backends, then stops the old ones. */
  commit(): Promise<void>;
  /** Stops the new backends; the old ones keep serving. */
  abort(): Promise<void>;
}

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
  /** The catalog plugin each mount of an external plugin runs, by mount UUID. */
  private readonly running = new Map<string, RunningPlugin>();

  /** Revokes every lease under a mount path; set by the core once leases exist. */
  revokeLeases: (mountPath: string) => Promise<void> = async () => {};
  /** Called with the full path of a mount, such as `auth/userpass/`, after it was disabled. */
  onDisabled: (mountPath: string) => Promise<void> = async () => {};
  /** Called with the full old and new paths of a mount after it moved. */
  onMoved: (from: string, to: string) => Promise<void> = async () => {};

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

  /**
   * Loads the mount table and starts every backend in it. A mount whose
   * backend fails to start gets a route that returns the failure, so the
   * server still unseals. See {@link startAtUnseal}.
   */
  async setup(): Promise<void> {
    this.entries = (await loadMountTable(this.barrier, this.kind.tablePath)) ?? [];
    for (const entry of this.entries) this.addRoute(entry, await this.startAtUnseal(entry));
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

  /** Returns the catalog plugin a mount runs, or undefined for a built-in one. */
  runningPlugin(entry: MountEntry): RunningPlugin | undefined {
    return this.running.get(entry.uuid);
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
    await this.onDisabled(this.kind.routePrefix + mountPath);
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
    // A new version may change the storage layout, as kv's upgrade to
    // version 2 does, so the old backend must not serve while it happens.
    await this.replace(entry, tuned, versionChanged ? { pause: true, context: `cannot tune mount "${this.kind.routePrefix}${entry.path}"` } : undefined);
    return tuned;
  }

  /**
   * Starts the backends of the mounts at `paths` again, e.g. after their
   * plugin's catalog entry changed; see {@link prepareReload}.
   * @throws CofferError (400) for a path without a mount, and the error of
   *   the first backend that failed to start; the mounts then keep serving.
   */
  async reload(paths: string[]): Promise<void> {
    await (await this.prepareReload(paths)).commit();
  }

  /**
   * Starts a new backend for each mount at `paths` while the old backends
   * keep serving; nothing changes for clients until the result is committed.
   * A plugin process that serves only these mounts is not reused, so the
   * reload replaces it. When any backend fails to start, the ones already
   * started are stopped and the error names the mount.
   *
   * The table's change lock is held from here until the result is committed
   * or aborted, so the caller must do one of them. Otherwise a tune could
   * move the old backend to a new entry between the two steps, and the
   * commit would then stop the backend that the tuned route still uses.
   * @throws CofferError (400) for a path without a mount, before anything starts.
   */
  async prepareReload(paths: string[]): Promise<PendingReload> {
    const release = await this.holdTable();
    try {
      const pending = await this.prepareReloadHeld(paths);
      return {
        commit: () => pending.commit().finally(release),
        abort: () => pending.abort().finally(release),
      };
    } catch (err) {
      release();
      throw err;
    }
  }

  private async prepareReloadHeld(paths: string[]): Promise<PendingReload> {
    const entries = paths.map((path) => {
      const entry = this.find(path);
      if (entry === undefined) throw badRequest(`no mount at "${normalizeMountPath(path)}"`);
      return entry;
    });
    const oldBackends = entries.map((entry) => this.router.get(this.kind.routePrefix + entry.path)?.backend);
    const unmark = oldBackends.map((backend) => (backend === undefined ? () => {} : markReplaced(backend)));
    const restore = () => unmark.forEach((clear) => clear());

    const started: LogicalBackend[] = [];
    for (const entry of entries) {
      try {
        started.push(await this.createBackend(entry));
      } catch (err) {
        await this.stopBackends(started, entries);
        restore();
        throw withContext(err, `cannot reload mount "${this.kind.routePrefix}${entry.path}"`);
      }
    }
    return {
      commit: async () => {
        entries.forEach((entry, index) => this.switchRoute(entry, started[index]));
        await this.stopBackends(oldBackends, entries);
      },
      abort: async () => {
        await this.stopBackends(started, entries);
        restore();
      },
    };
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
    await this.replace(entry, moved, { pause: false, context: `cannot move mount "${this.kind.routePrefix}${entry.path}" to "${this.kind.routePrefix}${toPath}"` });
    this.logger.info({ from: entry.path, to: toPath }, 'mount moved');
    await this.onMoved(this.kind.routePrefix + entry.path, this.kind.routePrefix + toPath);
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
      ...(this.kind.generatePasswordFromPolicy === undefined ? {} : { generatePasswordFromPolicy: this.kind.generatePasswordFromPolicy }),
      ...(this.kind.renderIdentityTemplate === undefined ? {} : { renderIdentityTemplate: this.kind.renderIdentityTemplate }),
      ...(this.kind.entityInfo === undefined ? {} : { entityInfo: this.kind.entityInfo }),
      ...(this.kind.groupsForEntity === undefined ? {} : { groupsForEntity: this.kind.groupsForEntity }),
    };
  }

  private changeTable<T>(task: () => Promise<T>): Promise<T> {
    return this.changes.run(this.kind.tablePath, task);
  }

  /** Waits for the change lock and holds it until the returned function is called. */
  private async holdTable(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await new Promise<void>((acquired) => {
      void this.changeTable(async () => {
        acquired();
        await released;
      });
    });
    return release;
  }

  /**
   * Puts `updated` in the place of `old`, in the table and the router. With
   * `restart`, a new backend starts first and the old one stops last, so a
   * backend that cannot start leaves the mount as it was. `pause` takes the
   * old route away while the new backend starts.
   * @throws the new backend's error, prefixed with `restart.context`.
   */
  private async replace(old: MountEntry, updated: MountEntry, restart?: { pause: boolean; context: string }): Promise<void> {
    const entries = this.entries.map((existing) => (existing === old ? updated : existing));
    const route = this.router.get(this.kind.routePrefix + old.path);
    if (restart === undefined && route !== undefined) {
      await saveMountTable(this.barrier, this.kind.tablePath, entries);
      this.entries = entries;
      this.router.remove(this.kind.routePrefix + old.path);
      this.addRoute(updated, route.backend);
      return;
    }

    if (restart?.pause === true) this.router.remove(this.kind.routePrefix + old.path);
    const unmark = route === undefined ? () => {} : markReplaced(route.backend);
    const undo = () => {
      unmark();
      if (restart?.pause === true && route !== undefined) this.router.add(route.mount, route.backend, route.storage);
    };
    let backend: LogicalBackend;
    try {
      backend = await this.createBackend(updated);
    } catch (err) {
      undo();
      throw withContext(err, restart?.context);
    }
    try {
      await saveMountTable(this.barrier, this.kind.tablePath, entries);
    } catch (err) {
      await this.stopBackends([backend], [updated]);
      undo();
      throw err;
    }

    this.entries = entries;
    this.router.remove(this.kind.routePrefix + old.path);
    this.addRoute(updated, backend);
    await this.stopBackends([route?.backend], [old]);
  }

  /**
   * Points the route of `entry` at `backend`, unless the mount changed or
   * went away since the backend was started; then the backend is stopped.
   */
  private switchRoute(entry: MountEntry, backend: LogicalBackend): void {
    if (!this.entries.includes(entry)) {
      void this.stopBackends([backend], [entry]);
      return;
    }
    this.addRoute(entry, backend);
    this.logger.info({ path: entry.path, type: entry.type }, 'mount reloaded');
  }

  /** Stops the backends, `entries[i]` naming the mount of `backends[i]`, and logs any failure. */
  private async stopBackends(backends: readonly (LogicalBackend | undefined)[], entries: readonly MountEntry[]): Promise<void> {
    for (const [index, backend] of backends.entries()) {
      try {
        await backend?.cleanup?.();
      } catch (err) {
        this.logger.error({ err, mount: entries[index].path }, 'backend cleanup failed');
      }
    }
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

  /**
   * Starts the backend of a table entry at unseal. On failure the entry and
   * its storage stay as they are, and a {@link FailedMountBackend} takes the
   * route until a reload, tune or disable replaces it. The failure is logged
   * here, once.
   */
  private async startAtUnseal(entry: MountEntry): Promise<LogicalBackend> {
    try {
      return await this.createBackend(entry, true);
    } catch (err) {
      const mountPath = this.kind.routePrefix + entry.path;
      this.logger.error({ err, path: mountPath, type: entry.type }, 'mount failed to start at unseal');
      return new FailedMountBackend(this.kind.routePrefix === 'auth/' ? 'credential' : 'logical', mountPath, failureReason(err));
    }
  }

  private async createBackend(entry: MountEntry, loading = false): Promise<LogicalBackend> {
    const builtin = entry.pluginVersion === '' ? this.kind.plugins.get(entry.type) : undefined;
    const external = builtin === undefined ? await this.kind.external?.(entry, loading) : undefined;
    const plugin = builtin ?? external;
    if (plugin === undefined) throw badRequest(`plugin not found in the catalog: ${entry.type}`);
    if (external?.running !== undefined) this.running.set(entry.uuid, external.running);
    else this.running.delete(entry.uuid);
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

/**
 * Prefixes the message of an API error with `context`, keeping its code and
 * status. Any other error passes unchanged because its message is not for clients.
 */
function withContext(err: unknown, context: string | undefined): unknown {
  if (context === undefined || !(err instanceof CofferError)) return err;
  return new CofferError(err.code, err.status, `${context}: ${err.message}`);
}

export function normalizeMountPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '');
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

