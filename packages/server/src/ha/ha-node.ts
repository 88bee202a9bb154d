/**
 * Leader election for servers that share one HA storage, as Vault's core
 * does it: every unsealed server contends for the storage's lock, the one
 * that holds it is the active node, and the others are standbys.
 *
 * The active node is the only one that loads mounts, tokens, policies and
 * leases and the only one that writes to storage. A standby keeps its
 * barrier unsealed and nothing else, and serves clients by forwarding their
 * requests to the active node (see forward.ts). When the active node loses
 * the lock, it stops serving at once, tears its state down as a seal would
 * and goes back to contending. A standby that acquires the lock sets that
 * state up from storage.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import type { HaStorage, Lock, Logger } from '@coffer/sdk';
import { KeyringMismatchError } from '../barrier/barrier.js';
import type { Core } from '../core.js';
import { COFFER_VERSION } from '../version.js';
import { readAdvertisement, writeAdvertisement, type Advertisement } from './advertisement.js';
import { HEARTBEAT_INTERVAL_MS, recordHeartbeat } from './node-registry.js';

/** The lock's name in storage, as Vault names it. */
export const LOCK_KEY = 'core/lock';

/** Vault's pause after `sys/step-down` before the node contends again: 10 s. */
export const DEFAULT_STEP_DOWN_PAUSE_MS = 10_000;

/** How long a step-down or loss waits for local requests to finish before tearing down. */
const DRAIN_TIMEOUT_MS = 10_000;

/** How long a standby reuses a leader lookup before reading the lock again. */
const LEADER_CACHE_MS = 1_000;

/** The storage key of the cluster ID, which the core writes when it first becomes active. */
const CLUSTER_ID_PATH = 'core/cluster-id';

/** The pause before contending again after a failed take-over. */
const SETUP_RETRY_MS = 1_000;

/** HA settings from the server config. */
export interface HaOptions {
  /** `api_addr`: the URL clients and standbys reach this node at; the first listener's URL when unset. */
  apiAddr?: string;
  /** `cluster_addr`: reported in `sys/leader` as the leader's cluster address. */
  clusterAddr?: string;
  /** `disable_clustering`: standbys redirect clients with 307 instead of forwarding their requests. */
  disableClustering?: boolean;
  /** How long a node that stepped down waits before contending again, in milliseconds. */
  stepDownPauseMs?: number;
}

/** `standby` until the lock is held, `activating` while state loads, `active` after. */
export type HaState = 'idle' | 'standby' | 'activating' | 'active';

/** The active node, as a standby or the active node itself reports it. */
export interface LeaderInfo {
  isSelf: boolean;
  /** The active node's `api_addr`; empty when no node holds the lock. */
  address: string;
  /** The active node's `cluster_addr`, when it advertised one. */
  clusterAddress: string;
  /** When the active node became active; undefined when unknown. */
  activeTime: Date | undefined;
  /** The active node's forwarding key; empty when unknown. */
  forwardingKey: string;
}

/** One node's part in the election. Created by the core when its storage is an HA storage. */
export class HaNode {
  readonly hostname = hostname();
  private state: HaState = 'idle';
  private apiAddr: string;
  private stopController: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private stepDownRequest: (() => void) | undefined;
  private activeSince: Date | undefined;
  /** The forwarding key of this node's current term as active node; empty while not active. */
  private forwardingKey = '';
  private activated: { promise: Promise<void>; resolve: () => void } = settledLater();
  private advertised = settledLater();
  private leaderCache: { info: LeaderInfo; at: number } | undefined;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly core: Core,
    private readonly storage: HaStorage,
    readonly options: HaOptions,
    private readonly logger: Logger,
  ) {
    this.apiAddr = options.apiAddr ?? '';
    if (this.apiAddr !== '') this.advertised.resolve();
  }

  /** This node's `api_addr`. */
  get address(): string {
    return this.apiAddr;
  }

  get clusterAddress(): string {
    return this.options.disableClustering === true ? '' : (this.options.clusterAddr ?? '');
  }

  get isActive(): boolean {
    return this.state === 'active';
  }

  /** True while unsealed without the lock, including while taking over. */
  get isStandby(): boolean {
    return this.state === 'standby' || this.state === 'activating';
  }

  /**
   * Sets the address announced in the lock when the config has no
   * `api_addr`; the server calls it once its listeners are bound.
   */
  advertise(listenerUrl: string): void {
    if (this.apiAddr !== '') return;
    this.apiAddr = listenerUrl;
    this.advertised.resolve();
    const host = new URL(listenerUrl).hostname;
    if (host === '0.0.0.0' || host === '[::]') {
      this.logger.warn({ apiAddr: listenerUrl }, 'ha api_addr defaults to a wildcard listener address that other servers cannot reach; set api_addr');
    }
  }

  /** Starts contending for the lock; called when the core unseals. */
  start(): void {
    if (this.loop !== undefined) return;
    this.stopController = new AbortController();
    this.state = 'standby';
    this.loop = this.contend(this.stopController.signal).catch((err: unknown) => {
      this.logger.error({ err }, 'ha election loop failed; sealing');
      void this.core.sealServer();
    });
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), HEARTBEAT_INTERVAL_MS);
    this.heartbeatTimer.unref();
    void this.heartbeat();
    void this.loadClusterId();
    this.logger.info({ apiAddr: this.apiAddr || undefined }, 'ha standby started');
  }

  /** Stops contending; an active node tears its state down, then releases the lock. */
  async stop(): Promise<void> {
    if (this.stopController === undefined) return;
    clearInterval(this.heartbeatTimer);
    this.stopController.abort();
    await this.loop;
    this.stopController = undefined;
    this.loop = undefined;
    this.state = 'idle';
  }

  /**
   * Makes the active node give up the lock and wait before contending
   * again, so another node takes over. Returns at once; the step-down runs
   * once the requests in progress, including the caller's, have finished.
   * @returns false when this node is not active.
   */
  stepDown(): boolean {
    if (this.stepDownRequest === undefined) return false;
    this.stepDownRequest();
    return true;
  }

  /**
   * Waits while the node takes over, so a request that arrives then is
   * served locally once it is active.
   */
  async settled(): Promise<void> {
    if (this.state === 'activating') await this.activated.promise;
  }

  /**
   * Counts a request served by the active node; a step-down or lost lock
   * waits for the count to reach zero before tearing down.
   */
  async track<T>(work: Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await work;
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  /** Reads which node is active. A standby caches the result for a second. */
  async leader(): Promise<LeaderInfo> {
    if (this.isActive) {
      return { isSelf: true, address: this.apiAddr, clusterAddress: this.clusterAddress, activeTime: this.activeSince, forwardingKey: this.forwardingKey };
    }
    const cached = this.leaderCache;
    if (cached !== undefined && Date.now() - cached.at < LEADER_CACHE_MS) return cached.info;

    // The cluster ID appears once the first active node has written it.
    if (this.core.clusterId === '') await this.loadClusterId();
    const holder = await this.storage.lockWith(LOCK_KEY, this.apiAddr).value();
    let advertisement: Advertisement | null = null;
    if (holder.held) {
      advertisement = await readAdvertisement(this.core.barrier).catch((err: unknown) => {
        this.logger.warn({ err }, 'ha leader advertisement unreadable');
        return null;
      });
    }
    const matches = advertisement !== null && advertisement.apiAddr === holder.value;
    const info: LeaderInfo = {
      isSelf: false,
      address: holder.held ? holder.value : '',
      clusterAddress: matches ? advertisement!.clusterAddr : '',
      activeTime: matches ? new Date(advertisement!.activeTime) : undefined,
      forwardingKey: matches ? advertisement!.forwardingKey : '',
    };
    this.leaderCache = { info, at: Date.now() };
    return info;
  }

  /**
   * Returns true when `key` is this active node's forwarding key, so the
   * request came from a standby of the cluster. Compared in constant time.
   */
  isForwardingKey(key: string): boolean {
    if (!this.isActive || this.forwardingKey === '') return false;
    const expected = Buffer.from(this.forwardingKey);
    const given = Buffer.from(key);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Drops the cached leader, after a forward to it failed. */
  forgetLeader(): void {
    this.leaderCache = undefined;
  }

  /** Records this standby for `sys/ha-status` on the active node. */
  private async heartbeat(): Promise<void> {
    if (this.state !== 'standby' || this.apiAddr === '') return;
    if (this.core.clusterId === '') await this.loadClusterId();
    try {
      await recordHeartbeat(this.core.barrier, {
        hostname: this.hostname,
        api_address: this.apiAddr,
        cluster_address: this.clusterAddress,
        active_node: false,
        last_echo: new Date().toISOString(),
        version: COFFER_VERSION,
      });
    } catch (err) {
      this.logger.warn({ err }, 'ha heartbeat write failed');
    }
  }

  /** Reads the cluster ID the active node stored, so a standby's seal status and health report it too. */
  private async loadClusterId(): Promise<void> {
    try {
      const entry = await this.core.barrier.get(CLUSTER_ID_PATH);
      if (entry !== null && this.core.clusterId === '') this.core.clusterId = entry.value.toString('utf8');
    } catch (err) {
      this.logger.warn({ err }, 'ha standby could not read the cluster id');
    }
  }

  private async contend(stop: AbortSignal): Promise<void> {
    await Promise.race([this.advertised.promise, aborted(stop)]);
    while (!stop.aborted) {
      const lock = this.storage.lockWith(LOCK_KEY, this.apiAddr);
      const lost = await lock.lock(stop);
      if (lost === undefined) return;

      if (!(await this.takeOver(lock, lost))) {
        await sleep(SETUP_RETRY_MS, stop);
        continue;
      }
      const reason = await this.serveUntilDone(lost, stop);
      await this.stepDownNow(lock, reason);
      if (reason === 'step-down') await sleep(this.options.stepDownPauseMs ?? DEFAULT_STEP_DOWN_PAUSE_MS, stop);
    }
  }

  /** Loads the active state from storage; returns false (lock released) when that fails. */
  private async takeOver(lock: Lock, lost: AbortSignal): Promise<boolean> {
    this.state = 'activating';
    this.leaderCache = undefined;
    try {
      // The old active node may have rotated the keyring since this node unsealed.
      await this.core.barrier.reloadKeyring();
      await this.core.setupActive();
      this.activeSince = new Date();
      this.forwardingKey = randomBytes(32).toString('base64url');
      await writeAdvertisement(this.core.barrier, {
        apiAddr: this.apiAddr,
        clusterAddr: this.clusterAddress,
        activeTime: this.activeSince.toISOString(),
        forwardingKey: this.forwardingKey,
      });
    } catch (err) {
      this.logger.error({ err }, 'ha take-over failed; releasing the lock');
      await this.core.teardownActive();
      await lock.unlock();
      this.state = 'standby';
      this.activated.resolve();
      this.activated = settledLater();
      // A keyring under another root key, as after a forced snapshot restore, never opens on retry.
      // Leaving the loop makes start() seal the node, so it can be unsealed with the restored keys.
      if (err instanceof KeyringMismatchError) throw err;
      return false;
    }
    this.state = lost.aborted ? 'standby' : 'active';
    this.activated.resolve();
    this.activated = settledLater();
    this.logger.info({ apiAddr: this.apiAddr }, 'ha node became active');
    return true;
  }

  /** Waits for a lost lock, a stop or a step-down, and stops serving the moment one comes. */
  private serveUntilDone(lost: AbortSignal, stop: AbortSignal): Promise<'lost' | 'stop' | 'step-down'> {
    return new Promise((resolve) => {
      const finish = (reason: 'lost' | 'stop' | 'step-down'): void => {
        lost.removeEventListener('abort', onLost);
        stop.removeEventListener('abort', onStop);
        this.stepDownRequest = undefined;
        // From here on new requests are forwarded or rejected, never served from this node's state.
        this.state = 'standby';
        resolve(reason);
      };
      const onLost = (): void => finish('lost');
      const onStop = (): void => finish('stop');
      if (lost.aborted) return finish('lost');
      if (stop.aborted) return finish('stop');
      lost.addEventListener('abort', onLost, { once: true });
      stop.addEventListener('abort', onStop, { once: true });
      this.stepDownRequest = () => finish('step-down');
    });
  }

  private async stepDownNow(lock: Lock, reason: 'lost' | 'stop' | 'step-down'): Promise<void> {
    // Only a step-down waits for requests: a lost lock may already belong to
    // another node, and a seal comes from a request that would wait for itself.
    if (reason === 'step-down') await this.drain();
    await this.core.teardownActive();
    await lock.unlock();
    this.activeSince = undefined;
    this.forwardingKey = '';
    this.logger.info({ reason }, 'ha node stepped down to standby');
  }

  private async drain(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.drained = undefined;
  }
}

function settledLater(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Waits `ms`, or less when `abort` fires. */
function sleep(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      abort.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    abort.addEventListener('abort', done, { once: true });
  });
}
