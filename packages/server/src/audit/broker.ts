/**
 * The audit broker: owns the enabled audit devices, builds each entry once
 * per device (HMACs under that device's salt, that device's format) and
 * writes it to all of them at once.
 *
 * Fail closed: while at least one device is enabled, a request entry that no
 * device recorded fails the request with 500 before its backend runs, so the
 * request has no effect. A response entry that no device recorded also makes
 * the request fail with 500; by then the backend has run, so a write it made
 * stays. One device that records the entry is enough, as in Vault, and the
 * failures of the others are logged.
 *
 * Only the devices that should record an entry count (see routing.ts): an
 * entry that every device filtered out, with no fallback device enabled, is
 * written nowhere and is not an error, as in Vault.
 *
 * A type that is not built in is looked up among the audit plugins of the
 * plugin catalog, once the core has handed the broker its plugin runner
 * with {@link AuditBroker.useExternalDevices}.
 *
 * The built-in socket device runs in the audit worker thread (worker.ts),
 * which builds, HMACs and writes its entries. The broker builds and writes
 * the entries of the other devices itself (file, syslog, catalog plugins,
 * devices a test supplies). For the file device, that costs less than
 * handing them over (see THREADED_AUDIT_TYPES).
 */
import {
  badRequest,
  COMMON_AUDIT_OPTIONS,
  CofferError,
  type AuditDevice,
  type AuditWriteOptions,
  type AuditPlugin,
  type Logger,
  type Storage,
} from '@coffer/sdk';
import { builtinAuditDevices } from './builtin.js';
import { deviceFormat, formatEntryText, mustBeDurable, pluginOptions, type DeviceFormat, type EntryKind } from './entry-format.js';
import { parseBooleanOption, parseFormatConfig } from './format.js';
import { AuditHasher } from './hmac.js';
import type { AuditInput, AuditResponseInput } from './input.js';
import type { AuditFilterFields } from './filter-expression.js';
import { filterFields, parseRoutingConfig, selectTargets, type RoutingConfig } from './routing.js';
import { AuditedRequestHeaders } from './request-headers.js';
import { AuditWorker } from './worker-client.js';
import { THREADED_AUDIT_TYPES } from './worker-protocol.js';
import {
  deleteSalt,
  loadAuditTable,
  loadOrCreateSalt,
  newAuditEntry,
  newSalt,
  normalizeAuditPath,
  saveAuditTable,
  saveSalt,
  type AuditTableEntry,
} from './table.js';
import type { MetricsRegistry } from '../telemetry/registry.js';

/** After logging one device failure, the broker logs that device's next failure no sooner than this (ms). */
const FAILURE_LOG_INTERVAL_MS = 10_000;

/** The destination of a device's entries: a device this thread writes to, or one the audit worker thread hosts. */
type DeviceSink = { kind: 'local'; device: AuditDevice; format: DeviceFormat } | { kind: 'worker'; device: number };

interface ActiveDevice {
  entry: AuditTableEntry;
  sink: DeviceSink;
  /** For `sys/audit-hash`. */
  hasher: AuditHasher;
  routing: RoutingConfig;
  /** Failures since the last one logged, and when that was. */
  failures: { suppressed: number; lastLogged: number };
}

/** Opens devices of audit plugins registered in the plugin catalog. */
export interface ExternalAuditDevices {
  /**
   * Opens a device of the catalog's audit plugin `type` with the device's
   * own options. Returns `undefined` when the catalog has no such plugin.
   * @throws Error when the plugin cannot be started or rejects the options.
   */
  open(type: string, device: { path: string; uuid: string; options: Record<string, string> }): Promise<AuditDevice | undefined>;
}

/** The settable fields of an enable request besides path and type. */
export interface EnableFields {
  description?: string;
  options?: Record<string, string>;
  local?: boolean;
}

/** Vault's metric names for the time to record an entry, and for entries no device recorded. */
const LOG_METRICS: Record<EntryKind, { time: string; failure: string }> = {
  request: { time: 'audit.log_request', failure: 'audit.log_request_failure' },
  response: { time: 'audit.log_response', failure: 'audit.log_response_failure' },
};

export class AuditBroker {
  private table: AuditTableEntry[] = [];
  private readonly devices = new Map<string, ActiveDevice>();
  /** Routing of the table's devices that failed to open at unseal, by path: the entries they select fail closed. */
  private readonly unopened = new Map<string, RoutingConfig>();
  /** Enables and disables run one at a time, in call order, on this chain. */
  private changes: Promise<unknown> = Promise.resolve();
  private readonly worker: AuditWorker;
  /** The request headers that entries record, loaded at unseal with the devices. */
  readonly requestHeaders: AuditedRequestHeaders;

  private metrics: MetricsRegistry | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
    private readonly plugins: ReadonlyMap<string, AuditPlugin> = builtinAuditDevices,
    private external?: ExternalAuditDevices,
  ) {
    this.worker = new AuditWorker(logger);
    this.requestHeaders = new AuditedRequestHeaders(storage);
  }

  /** Lets the broker open devices of catalog audit plugins; the core calls it once its plugin runner exists. */
  useExternalDevices(external: ExternalAuditDevices): void {
    this.external = external;
  }

  /** True while at least one device is open; requests are then audited and fail closed. */
  get enabled(): boolean {
    return this.devices.size > 0;
  }

  /** True when the device at `path` is open. */
  isOpen(path: string): boolean {
    return this.devices.has(normalizeAuditPath(path));
  }

  /** Returns the number of syncs of the file device at `path`, for tests, or `undefined` for other devices. */
  async syncCount(path: string): Promise<number | undefined> {
    const sink = this.devices.get(normalizeAuditPath(path))?.sink;
    if (sink === undefined) return undefined;
    if (sink.kind === 'worker') return this.worker.syncCount(sink.device);
    return (sink.device as { syncCount?: number }).syncCount;
  }

  /** Returns the audit table, including devices that failed to open at unseal. */
  list(): readonly AuditTableEntry[] {
    return this.table;
  }

  /**
   * Loads the audited request headers and the audit table, and opens every
   * device in the table. Call it at unseal. A device that fails to open is
   * logged and skipped.
   * @throws CofferError (500) when the table lists devices but none opened,
   *   so the server stays sealed rather than serve requests unaudited.
   * @throws CofferError (500) when the stored request header configuration is malformed.
   */
  async setup(): Promise<void> {
    if (this.devices.size > 0) await this.teardown();
    this.unopened.clear();
    await this.requestHeaders.load();
    this.table = await loadAuditTable(this.storage);
    for (const entry of this.table) {
      try {
        this.devices.set(entry.path, await this.openDevice(entry));
      } catch (err) {
        this.logger.error({ err, path: entry.path, type: entry.type }, 'audit device failed to open');
        this.unopened.set(entry.path, unopenedRouting(entry));
      }
    }
    if (this.table.length > 0 && this.devices.size === 0) {
      throw new CofferError('COFFER_ERR_AUDIT_SETUP', 500, `none of the ${this.table.length} enabled audit devices could be opened; see the server log`);
    }
    if (this.table.length > 0) this.logger.info({ devices: this.devices.size }, 'audit devices opened');
  }

  /** Closes every device and clears the table and the audited request headers. Call it at seal. */
  async teardown(): Promise<void> {
    const devices = [...this.devices.values()];
    this.devices.clear();
    this.unopened.clear();
    this.table = [];
    this.requestHeaders.clear();
    await Promise.all(devices.map((active) => this.closeDevice(active.sink, active.entry.path)));
    await this.worker.stop();
  }

  /**
   * Records a request before its backend runs, or a request rejected before
   * that (set `input.error`).
   * @throws CofferError (500) when devices are enabled and none recorded the entry.
   */
  logRequest(input: AuditInput): Promise<void> {
    if (this.devices.size === 0) return NOTHING_TO_WRITE;
    return this.writeAll('request', input);
  }

  /**
   * Records what the client receives for a request: the response or the error.
   * @throws CofferError (500) when devices are enabled and none recorded the entry.
   */
  logResponse(input: AuditResponseInput): Promise<void> {
    if (this.devices.size === 0) return NOTHING_TO_WRITE;
    return this.writeAll('response', input);
  }

  /** Lets the broker time its entries and count failures as Vault's `audit.log_*` metrics. */
  useMetrics(metrics: MetricsRegistry): void {
    this.metrics = metrics;
    // Vault reports the failure counters from the start, at 0.
    metrics.increment('audit.log_request_failure', 0);
    metrics.increment('audit.log_response_failure', 0);
  }

  /** Reopens every device that supports it, for log rotation; failures are logged, not thrown. */
  async reopen(): Promise<void> {
    await Promise.all(
      [...this.devices.values()].map(async (active) => {
        try {
          if (active.sink.kind === 'worker') await this.worker.reopen(active.sink.device);
          else await active.sink.device.reopen?.();
        } catch (err) {
          this.logger.error({ err, path: active.entry.path }, 'audit device failed to reopen');
        }
      }),
    );
    this.logger.info({ devices: this.devices.size }, 'audit devices reopened');
  }

  /**
   * Returns the HMAC that the device at `path` writes for `input`, as
   * `sys/audit-hash` reports it.
   * @throws CofferError (400) when no device is enabled at `path`.
   */
  hash(path: string, input: string): string {
    const normalized = normalizeAuditPath(path);
    const active = this.devices.get(normalized);
    if (active === undefined) throw badRequest(`no audit device is enabled at "${normalized}"`);
    return active.hasher.hash(input);
  }

  /**
   * Enables a device: checks the options, opens it, stores its salt and then
   * the table. A request that fails any check changes nothing.
   * @throws CofferError (400) naming the problem.
   */
  enable(path: string, type: string, fields: EnableFields = {}): Promise<AuditTableEntry> {
    return this.serialize(() => this.enableNow(path, type, fields));
  }

  /** Disables the device at `path` and deletes its salt. Returns false when none was there, which is not an error. */
  disable(path: string): Promise<boolean> {
    return this.serialize(() => this.disableNow(path));
  }

  private async enableNow(rawPath: string, type: string, fields: EnableFields): Promise<AuditTableEntry> {
    const path = normalizeAuditPath(rawPath);
    const conflict = this.table.find((existing) => existing.path.startsWith(path) || path.startsWith(existing.path));
    if (conflict !== undefined) throw badRequest(`path is already in use at ${conflict.path}`);

    const plugin = this.plugins.get(type);
    const external = plugin === undefined ? this.externalDevices() : undefined;
    const unknownType = (): CofferError => {
      const catalog = external === undefined ? '' : ', or register an audit plugin of that name in the plugin catalog';
      return badRequest(`unknown audit device type "${type}": use one of ${[...this.plugins.keys()].join(', ')}${catalog}`);
    };
    if (plugin === undefined && external === undefined) throw unknownType();
    const options = fields.options ?? {};
    // A catalog plugin checks its own options when it opens the device.
    for (const name of plugin === undefined ? [] : Object.keys(options)) {
      if (!COMMON_AUDIT_OPTIONS.includes(name) && !plugin!.settings.includes(name)) {
        const known = [...COMMON_AUDIT_OPTIONS, ...plugin!.settings].join(', ');
        throw badRequest(`unknown option "${name}" for audit device type "${type}"; valid options: ${known}`);
      }
    }
    // Rejects bad format options with 400 before anything opens; the device parses them again when it opens.
    parseFormatConfig(options);
    const routing = parseRoutingConfig(options);
    const otherFallback = routing.fallback ? this.table.find((existing) => parseBooleanOption(existing.options, 'fallback', false)) : undefined;
    if (otherFallback !== undefined) {
      throw badRequest(`invalid option "fallback": the device at "${otherFallback.path}" is already the fallback device and only one is allowed: disable it first`);
    }
    const entry = newAuditEntry(path, type, { description: fields.description ?? '', options, local: fields.local ?? false });

    const salt = newSalt();
    let sink: DeviceSink | undefined;
    try {
      sink = await this.openSink(entry, salt);
    } catch (err) {
      throw badRequest(`cannot enable audit device at "${path}": ${describeError(err)}`);
    }
    if (sink === undefined) throw unknownType();

    try {
      await saveSalt(this.storage, entry.uuid, salt);
      await saveAuditTable(this.storage, [...this.table, entry]);
    } catch (err) {
      await this.closeDevice(sink, path);
      await deleteSalt(this.storage, entry.uuid).catch(() => undefined);
      throw err;
    }

    this.table = [...this.table, entry];
    this.devices.set(path, { entry, sink, hasher: new AuditHasher(salt), routing, failures: { suppressed: 0, lastLogged: 0 } });
    this.logger.info({ path, type, accessor: entry.accessor }, 'audit device enabled');
    return entry;
  }

  private async disableNow(rawPath: string): Promise<boolean> {
    const path = normalizeAuditPath(rawPath);
    const entry = this.table.find((existing) => existing.path === path);
    if (entry === undefined) return false;

    await saveAuditTable(this.storage, this.table.filter((existing) => existing !== entry));
    this.table = this.table.filter((existing) => existing !== entry);
    this.unopened.delete(path);
    const active = this.devices.get(path);
    this.devices.delete(path);
    if (active !== undefined) await this.closeDevice(active.sink, path);
    try {
      await deleteSalt(this.storage, entry.uuid);
    } catch (err) {
      this.logger.error({ err, path }, 'audit device salt could not be deleted');
    }
    this.logger.info({ path, type: entry.type }, 'audit device disabled');
    return true;
  }

  private async openDevice(entry: AuditTableEntry): Promise<ActiveDevice> {
    const plugin = this.plugins.get(entry.type);
    const external = plugin === undefined ? this.externalDevices() : undefined;
    if (plugin === undefined && external === undefined) throw new Error(`unknown audit device type "${entry.type}"`);
    const routing = parseRoutingConfig(entry.options);
    const salt = await loadOrCreateSalt(this.storage, entry.uuid);
    const sink = await this.openSink(entry, salt);
    if (sink === undefined) throw new Error(`audit plugin "${entry.type}" is not in the plugin catalog any more; register it again`);
    return { entry, sink, hasher: new AuditHasher(salt), routing, failures: { suppressed: 0, lastLogged: 0 } };
  }

  /**
   * Opens the device of a table entry: a built-in type in the audit worker
   * thread, any other type in this thread. Returns `undefined` when the
   * type is neither a known plugin nor in the plugin catalog.
   */
  private async openSink(entry: AuditTableEntry, salt: Buffer): Promise<DeviceSink | undefined> {
    const plugin = this.plugins.get(entry.type);
    if (plugin !== undefined && plugin === builtinAuditDevices.get(entry.type) && THREADED_AUDIT_TYPES.includes(entry.type)) {
      const device = await this.worker.open({ path: entry.path, type: entry.type, options: entry.options, salt });
      return { kind: 'worker', device };
    }
    const device = plugin !== undefined ? await this.createDevice(plugin, entry) : await this.openExternal(this.external!, entry);
    if (device === undefined) return undefined;
    return { kind: 'local', device, format: deviceFormat(salt, entry.options) };
  }

  /** Creates the device from its own options; the common ones stay with the broker. */
  private createDevice(plugin: AuditPlugin, entry: AuditTableEntry): Promise<AuditDevice> {
    return plugin.create(pluginOptions(plugin, entry.options), { logger: this.logger.child({ auditDevice: entry.path }) });
  }

  private externalDevices(): ExternalAuditDevices | undefined {
    return this.external;
  }

  /** Opens a device of a catalog audit plugin with every option that is not common to all devices. */
  private openExternal(external: ExternalAuditDevices, entry: AuditTableEntry): Promise<AuditDevice | undefined> {
    const deviceOptions: Record<string, string> = {};
    for (const [name, value] of Object.entries(entry.options)) {
      if (!COMMON_AUDIT_OPTIONS.includes(name)) deviceOptions[name] = value;
    }
    return external.open(entry.type, { path: entry.path, uuid: entry.uuid, options: deviceOptions });
  }

  private async closeDevice(sink: DeviceSink, path: string): Promise<void> {
    try {
      if (sink.kind === 'worker') await this.worker.close(sink.device);
      else await sink.device.close();
    } catch (err) {
      this.logger.error({ err, path }, 'audit device failed to close');
    }
  }

  /**
   * Writes one entry to every device that should record it. Succeeds when at
   * least one of them did, or when none should.
   */
  private writeAll(kind: EntryKind, input: AuditResponseInput): Promise<void> {
    if (this.devices.size === 1) {
      // The common case of one device on this thread that records every entry skips the bookkeeping of writeSelected.
      const only = this.devices.values().next().value as ActiveDevice;
      if (only.sink.kind === 'local' && only.routing.filter === undefined && this.unopened.size === 0) return this.writeOnly(only, only.sink, kind, input);
    }
    return this.writeSelected(kind, input);
  }

  /** Writes one entry to the devices whose filters select it, and to the fallback device when none does. */
  private async writeSelected(kind: EntryKind, input: AuditResponseInput): Promise<void> {
    const startedAt = performance.now();
    try {
      await this.writeToTargets(kind, input);
    } catch (err) {
      this.metrics?.increment(LOG_METRICS[kind].failure);
      throw err;
    }
    this.metrics?.measureSince(LOG_METRICS[kind].time, startedAt);
  }

  private async writeToTargets(kind: EntryKind, input: AuditResponseInput): Promise<void> {
    const fields = filterFields(input);
    let targets = selectTargets(this.devices.values(), fields);
    const unopenedPath = this.unopened.size === 0 ? undefined : unopenedSelecting(this.unopened, fields);
    // The fallback records only entries that no other device selects, and a device that failed to open selected this one.
    if (unopenedPath !== undefined) targets = targets.filter((active) => !active.routing.fallback);
    if (targets.length === 0) {
      if (unopenedPath !== undefined) {
        throw new CofferError('COFFER_ERR_AUDIT_FAILED', 500, `failed to audit the ${kind}: the audit device at "${unopenedPath}" is not open; see the server log`);
      }
      // A fallback device that failed to open at unseal would have recorded this entry.
      const fallback = this.table.some((entry) => parseBooleanOption(entry.options, 'fallback', false));
      if (!fallback) return;
      throw new CofferError('COFFER_ERR_AUDIT_FAILED', 500, `failed to audit the ${kind}: the fallback audit device is not open; see the server log`);
    }
    const time = Date.now();
    const hosted: number[] = [];
    const outcomes: Promise<unknown>[] = [];
    for (const active of targets) {
      if (active.sink.kind === 'worker') hosted.push(active.sink.device);
      else outcomes.push(writeLocal(active.sink, kind, input, time));
    }
    // Settling the local writes starts now, so that one failing while the thread works is not an unhandled rejection.
    const localSettled = Promise.allSettled(outcomes);
    const hostedOutcomes = hosted.length === 0 ? [] : await this.worker.record(kind, withoutBlocks(input), time, hosted).catch((err: Error) => hosted.map(() => err.message));
    const localOutcomes = await localSettled;

    let recorded = 0;
    let hostedIndex = 0;
    let localIndex = 0;
    for (const active of targets) {
      const error = active.sink.kind === 'worker' ? toError(hostedOutcomes[hostedIndex++]) : rejection(localOutcomes[localIndex++]);
      if (error === undefined) recorded += 1;
      else this.logFailure(active, kind, input.requestId, error);
    }
    if (recorded === 0) {
      throw new CofferError('COFFER_ERR_AUDIT_FAILED', 500, `failed to audit the ${kind}: no enabled audit device recorded it`);
    }
  }

  /** Writes one entry to the only device, which records every entry. */
  private writeOnly(active: ActiveDevice, sink: { device: AuditDevice; format: DeviceFormat }, kind: EntryKind, input: AuditResponseInput): Promise<void> {
    // Returned as it is rather than awaited: each async layer costs every request a promise and a turn of the microtask queue.
    const startedAt = performance.now();
    return writeLocal(sink, kind, input, Date.now()).then(
      () => this.metrics?.measureSince(LOG_METRICS[kind].time, startedAt),
      (err: unknown) => {
        this.metrics?.increment(LOG_METRICS[kind].failure);
        this.logFailure(active, kind, input.requestId, err);
        throw new CofferError('COFFER_ERR_AUDIT_FAILED', 500, `failed to audit the ${kind}: no enabled audit device recorded it`);
      },
    );
  }

  /** Logs a device failure at most once per interval per device, with the count of failures suppressed since the last log line. */
  private logFailure(active: ActiveDevice, kind: string, requestId: string, err: unknown): void {
    const now = Date.now();
    if (now - active.failures.lastLogged < FAILURE_LOG_INTERVAL_MS) {
      active.failures.suppressed += 1;
      return;
    }
    this.logger.error({ err, path: active.entry.path, requestId, entry: kind, suppressedSinceLast: active.failures.suppressed }, 'audit device failed to record an entry');
    active.failures = { suppressed: 0, lastLogged: now };
  }

  private serialize<T>(change: () => Promise<T>): Promise<T> {
    const result = this.changes.then(change);
    this.changes = result.catch(() => undefined);
    return result;
  }
}

/**
 * Returns the routing of a device that failed to open. Stored options were
 * checked when the device was enabled. If they no longer parse, the device
 * counts as selecting every entry, so those entries fail closed.
 */
function unopenedRouting(entry: AuditTableEntry): RoutingConfig {
  try {
    return parseRoutingConfig(entry.options);
  } catch {
    return { fallback: false, exclusions: [] };
  }
}

/** Returns the path of the first unopened device, other than the fallback, that selects an entry with `fields`. */
function unopenedSelecting(unopened: ReadonlyMap<string, RoutingConfig>, fields: AuditFilterFields): string | undefined {
  for (const [path, routing] of unopened) {
    if (!routing.fallback && (routing.filter === undefined || routing.filter(fields))) return path;
  }
  return undefined;
}

/** Resolves at once when no audit device is enabled. */
const NOTHING_TO_WRITE: Promise<void> = Promise.resolve();

/** The write options of every entry, shared because devices only read them. */
const DURABLE: AuditWriteOptions = Object.freeze({ durable: true });
const NOT_DURABLE: AuditWriteOptions = Object.freeze({ durable: false });

/**
 * Builds and writes an entry on a device of this thread. A formatting error,
 * or a device that throws instead of rejecting, becomes the rejection of the
 * returned promise.
 */
function writeLocal(sink: { device: AuditDevice; format: DeviceFormat }, kind: EntryKind, input: AuditResponseInput, time: number): Promise<void> {
  try {
    const text = formatEntryText(kind, input, new Date(time), sink.format);
    const options = mustBeDurable(kind, input) ? DURABLE : NOT_DURABLE;
    const written = sink.device.writeText !== undefined ? sink.device.writeText(text, options) : sink.device.write(Buffer.from(text, 'utf8'), options);
    // Promise.resolve returns a native promise as it is, and wraps whatever else a device in plain JavaScript returns, as `await` did.
    return Promise.resolve(written);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Returns the input without the blocks a device on this thread serialized, which cannot be copied to the audit worker thread. */
function withoutBlocks(input: AuditResponseInput): AuditResponseInput {
  if (input.jsonBlocks === undefined) return input;
  const { jsonBlocks: _serialized, ...rest } = input;
  return rest;
}

function toError(message: string | null): Error | undefined {
  return message === null ? undefined : new Error(message);
}

function rejection(outcome: PromiseSettledResult<unknown>): unknown {
  return outcome.status === 'fulfilled' ? undefined : outcome.reason;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
