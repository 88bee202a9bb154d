// The lifetime watcher of a cached token or lease, as Vault Agent's cache
// runs Vault's api.LifetimeWatcher for each entry. It renews the lease at
// about two thirds of the remaining TTL, with jitter. It ends when renewal
// fails or can no longer extend the lease. The cache then evicts the entry,
// so the next request goes to the server.
import { timerDelay } from '@coffer/sdk';

/**
 * Returns milliseconds since about the epoch from a monotonic clock, so that setting the system
 * clock moves no TTL or renewal. Go, in which Vault is written, measures durations the same way.
 */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The timers of a cache, so that closing it cancels every one and tests can count them. */
export class TimerSet {
  private readonly live = new Set<NodeJS.Timeout>();

  /**
   * Calls `callback` after `ms` milliseconds, capped by timerDelay: a longer
   * wait fires after about 24.8 days, and the caller checks whether its time
   * has come. The timer does not keep the process alive.
   */
  set(callback: () => void, ms: number): NodeJS.Timeout {
    const handle = setTimeout(() => {
      this.live.delete(handle);
      callback();
    }, timerDelay(ms));
    handle.unref();
    this.live.add(handle);
    return handle;
  }

  clear(handle: NodeJS.Timeout | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    this.live.delete(handle);
  }

  clearAll(): void {
    for (const handle of this.live) clearTimeout(handle);
    this.live.clear();
  }

  /** Number of timers that have neither fired nor been cleared. */
  get size(): number {
    return this.live.size;
  }
}

/** Outcome of one renewal request. */
export type RenewalResult =
  /** The lease or token was renewed for `leaseSeconds`. `renewable` false means this was the last renewal. */
  | { outcome: 'renewed'; leaseSeconds: number; renewable: boolean }
  /** The server rejected the renewal, such as for a revoked lease or token. The watcher ends at once. */
  | { outcome: 'rejected'; message: string }
  /** No response, a 5xx or a 429. The watcher retries with backoff while the lease lasts. */
  | { outcome: 'unavailable'; message: string };

/** Reason a watcher ended by itself. */
export interface WatcherEnd {
  /** "failed" when renewal failed, "expiring" when the lease could not be extended past its grace period. */
  reason: 'failed' | 'expiring';
  /** The last renewal error, for "failed". */
  message?: string;
}

/** First wait after a renewal without a response, as in Vault's watcher. It doubles after each failure. */
export const defaultRetryIntervalMs = 10_000;

/** Maximum wait between retries, as in Vault's watcher. */
const maxRetryIntervalMs = 5 * 60 * 1000;

/** Spread of each retry wait: 0.5 waits from half to one and a half times the interval. */
const retryRandomization = 0.5;

export interface LifetimeWatcherOptions {
  /** Lease duration of the response that was cached, in seconds. */
  leaseSeconds: number;
  /** Sends one renewal request. Aborting `signal` cancels it. */
  renew(signal: AbortSignal): Promise<RenewalResult>;
  /** Called after each successful renewal with the new lease duration. */
  onRenewed(leaseSeconds: number): void;
  /** Called once when the watcher ends by itself, and not after stop(). */
  onDone(end: WatcherEnd): void;
  timers: TimerSet;
  /** Random number in [0, 1) for the jitter. Tests pass a fixed one. */
  random?: () => number;
  /** First retry wait after a renewal without a response, in milliseconds. */
  retryIntervalMs?: number;
}

/**
 * Renews one lease or token until it fails, can no longer be extended, or
 * stop() is called. Unlike Vault's watcher, the first renewal comes at two
 * thirds of the lease rather than at once, since the response was just issued.
 */
export class LifetimeWatcher {
  /** Time the current lease started, in milliseconds on the monotonic clock. */
  private leaseStart = monotonicNow();
  private leaseMs: number;
  /** Remaining lease at the previous wait. A longer lease gets a new grace period. */
  private priorMs: number;
  /** Time before the end of the lease in which the watcher no longer renews, and ends. */
  private graceMs = 0;
  /** Next retry interval after a renewal without a response, or undefined after a success. */
  private retryMs: number | undefined;
  /** Set by a renewal that reported renewable false: the watcher waits for the grace period without renewing. */
  private lastRenewal = false;
  private timer: NodeJS.Timeout | undefined;
  private inflight: AbortController | undefined;
  private stopped = false;
  private readonly random: () => number;

  constructor(private readonly options: LifetimeWatcherOptions) {
    this.leaseMs = options.leaseSeconds * 1000;
    this.priorMs = this.leaseMs;
    this.random = options.random ?? Math.random;
  }

  start(): void {
    this.leaseStart = monotonicNow();
    this.priorMs = this.leaseMs;
    this.graceMs = this.grace(this.leaseMs);
    this.plan(this.leaseMs, undefined);
  }

  /** Stops renewing and cancels the pending timer and any renewal in flight. */
  stop(): void {
    this.stopped = true;
    this.options.timers.clear(this.timer);
    this.timer = undefined;
    this.inflight?.abort();
    this.inflight = undefined;
  }

  /** Takes a renewal that did not come from this watcher, such as one sent through the proxy, as its own. */
  renewedElsewhere(leaseSeconds: number, renewable: boolean): void {
    if (this.stopped) return;
    this.retryMs = undefined;
    this.applyRenewal(leaseSeconds, renewable);
  }

  private applyRenewal(leaseSeconds: number, renewable: boolean): void {
    this.leaseStart = monotonicNow();
    this.leaseMs = leaseSeconds * 1000;
    if (!renewable) this.lastRenewal = true;
    this.plan(this.leaseMs, undefined);
  }

  /**
   * Arms the next wakeup, or ends the watcher when the wait would reach the
   * grace period, as Vault's watcher does: a lease of four seconds with a
   * grace period of three would leave too little time to renew.
   */
  private plan(remainingMs: number, retryWaitMs: number | undefined, lastError?: string): void {
    const sleepMs = retryWaitMs ?? this.sleep(remainingMs);
    this.priorMs = remainingMs;
    if (remainingMs <= this.graceMs || remainingMs - sleepMs <= this.graceMs) {
      this.finish(lastError === undefined ? { reason: 'expiring' } : { reason: 'failed', message: lastError });
      return;
    }
    this.arm(monotonicNow() + sleepMs);
  }

  /** Arms the timer that wakes the watcher at `wakeAt`, in milliseconds on the monotonic clock. */
  private arm(wakeAt: number): void {
    this.options.timers.clear(this.timer);
    this.timer = this.options.timers.set(() => {
      this.timer = undefined;
      // A wait longer than the longest timer delay, about 24.8 days, takes more than one timer.
      if (wakeAt > monotonicNow()) {
        this.arm(wakeAt);
        return;
      }
      void this.wake();
    }, wakeAt - monotonicNow());
  }

  private async wake(): Promise<void> {
    // A renewal through the proxy may arm a timer while this watcher's own renewal is in flight. That renewal plans the next wakeup.
    if (this.stopped || this.inflight !== undefined) return;
    if (this.lastRenewal) {
      this.plan(this.leaseStart + this.leaseMs - monotonicNow(), undefined);
      return;
    }
    const controller = new AbortController();
    this.inflight = controller;
    let result: RenewalResult;
    try {
      result = await this.options.renew(controller.signal);
    } catch (error) {
      result = { outcome: 'unavailable', message: error instanceof Error ? error.message : String(error) };
    }
    if (this.inflight === controller) this.inflight = undefined;
    if (this.stopped) return;

    if (result.outcome === 'renewed') {
      this.retryMs = undefined;
      this.options.onRenewed(result.leaseSeconds);
      if (this.stopped) return;
      this.applyRenewal(result.leaseSeconds, result.renewable);
      return;
    }
    if (result.outcome === 'rejected') {
      this.finish({ reason: 'failed', message: result.message });
      return;
    }
    const remainingMs = this.leaseStart + this.leaseMs - monotonicNow();
    if (remainingMs < 0) {
      this.finish({ reason: 'failed', message: result.message });
      return;
    }
    this.plan(remainingMs, this.nextRetryWait(), result.message);
  }

  private finish(end: WatcherEnd): void {
    if (this.stopped) return;
    this.stop();
    this.options.onDone(end);
  }

  /** Returns two thirds of the remaining lease plus a third of the grace period, which adds jitter. */
  private sleep(remainingMs: number): number {
    // The grace period follows the lease while renewals extend it. Once they stop extending it, the max TTL is near.
    if (remainingMs > this.priorMs) this.graceMs = this.grace(remainingMs);
    return (remainingMs * 2) / 3 + this.graceMs / 3;
  }

  /** Returns a random 10% to 20% of the lease, so that agents do not renew in step. */
  private grace(leaseMs: number): number {
    if (leaseMs <= 0) return 0;
    const jitterMax = 0.1 * leaseMs;
    return jitterMax + this.random() * jitterMax;
  }

  /** Returns the next retry wait: from 10 seconds, doubling up to 5 minutes, each spread by half either way. */
  private nextRetryWait(): number {
    const interval = this.retryMs ?? this.options.retryIntervalMs ?? defaultRetryIntervalMs;
    this.retryMs = Math.min(interval * 2, maxRetryIntervalMs);
    return interval * (1 - retryRandomization + this.random() * 2 * retryRandomization);
  }
}
